import Foundation
import PlexusCore

// NESTML synapse models -> point-engine synapse handlers (plexus_point.h, plx_synapse_model),
// driven the way NESTML 9's NEST target drives them (its SynapseHeader template's `send`):
//
//  at a presynaptic spike at t (the synapse's delay d all dendritic): for every postsynaptic
//  spike t_p of the target in (t_last - d, t - d], advance the synapse to t_p + d (the update
//  block with integrate_odes over that interval, skipped under 1e-12 ms) and run the post port's
//  onReceive; then advance to t and run the pre port's onReceive, whose emit_spike(w) sets the
//  weight the spike carries; t_last = t.
//
// NESTML moves a post-spike trace (a state variable only the post handler changes) into the
// neuron, and the synapse reads it there just before the time asked: the post handler sees it
// before the spike's own increment, the pre handler without a post spike at exactly t - d. Here
// the trace stays in the synapse with the same values: the post handler's assignments to it run
// at the end of the handler, and the generated `send` hands the pre handler the values before a
// coincident post spike (`postTraces`).

extension NeuronLowering {
    func lowerSynapse() throws -> PointSynapseDescription {
        isSynapse = true
        timeExpression = "c->t"
        for f in m.functions { functions[f.name] = f }
        guard m.kernels.isEmpty else {
            throw fail(m.kernels[0].line, "kernels in a synapse model are not supported yet (a synapse's traces are ODEs: x' = -x / tau)")
        }
        // Ports: the presynaptic one is the port whose onReceive emits the spike.
        func emits(_ body: [NESTML.Statement]) -> Bool {
            var found = false
            body.forEachStatement { if case .call("emit_spike", _) = $0.kind { found = true } }
            return found
        }
        var prePort: String?, postPort: String?
        for p in m.inputPorts {
            guard p.size == nil else { throw fail(p.line, "vector input ports ('\(p.name)[...]') are not supported yet") }
            guard case .spike = p.kind else {
                throw fail(p.line, "continuous input port '\(p.name)' in a synapse (a variable of the postsynaptic neuron, from NESTML's neuron-synapse co-generation) is not supported yet")
            }
            spikePorts.append((p.name, nil, p.line))
        }
        for p in spikePorts {
            let body = m.onReceive.first { $0.port == p.name }?.body ?? []
            if emits(body) || (spikePorts.count == 1) {
                guard prePort == nil else { throw fail(p.line, "two spike ports emit spikes ('\(prePort!)' and '\(p.name)'): one presynaptic port is supported") }
                prePort = p.name
            } else if p.name.contains("post") && postPort == nil {
                postPort = p.name
            } else {
                throw fail(p.line, "spike port '\(p.name)' is neither the presynaptic port (whose onReceive emits the spike) nor the postsynaptic one (named post...): third-factor ports (volume transmitter, NESTML's vt_ports) are not supported yet")
            }
        }
        guard let prePort else { throw fail(m.line, "no spike input port: a synapse model needs its presynaptic port (`pre_spikes <- spike`)") }
        for r in m.onReceive where r.port != prePort && r.port != postPort {
            throw fail(r.line, "onReceive(\(r.port)): '\(r.port)' is not a spike input port")
        }
        guard !m.onReceive.isEmpty, m.onReceive.contains(where: { $0.port == prePort }) else {
            throw fail(m.line, "no onReceive(\(prePort)) block: nothing would pass the presynaptic spike on")
        }
        guard m.onCondition.isEmpty else { throw fail(m.onCondition[0].line, "onCondition in a synapse model is not supported") }
        // The weight: the connection's, kept per synapse (NESTML's weight variable `w`, a parameter
        // or a state variable of the file) in state slot 0.
        let allParameters = m.parameters.flatMap { d in d.variables.map { (d, $0) } }
        let allState = m.state.flatMap { d in d.variables.map { (d, $0) } }
        guard let wDecl = (allState + allParameters).first(where: { $0.1.name == "w" }) else {
            throw fail(m.line, "no weight variable 'w' (NESTML's weight_variable): the connection's weight has nowhere to go")
        }
        stateIndex["w"] = 0
        states.append(StateVar(name: "w", kind: .plain, unit: unitSymbol(wDecl.0.type), recordable: true, initial: wDecl.0.value, line: wDecl.0.line))
        try declareParameters(except: ["w"])
        // State after the weight: what a statement may set, then the hidden variables
        // (`@plexus::hidden`; `@plexus::last_spike_time`: the time of the last presynaptic spike,
        // which the engine keeps), which start at their initial values.
        var hidden: [(NESTML.Declaration, NESTML.Variable)] = []
        var lastSpikeTime: String?
        for (d, v) in allState {
            let plexus = try plexusDecorators(d, allowed: v.name == "w" ? [] : ["hidden", "last_spike_time"])
            let isHidden = !plexus.isDisjoint(with: ["hidden", "last_spike_time"])
            if plexus.contains("last_spike_time") {
                guard lastSpikeTime == nil else { throw fail(d.line, "a second @plexus::last_spike_time ('\(v.name)'; '\(lastSpikeTime!)' is one)") }
                guard unitSymbol(d.type) == "ms" else { throw fail(d.line, "@plexus::last_spike_time '\(v.name)' must be in ms") }
                lastSpikeTime = v.name
            }
            guard v.name != "w" else { continue }
            guard v.index == nil, v.order == 0 else { throw fail(d.line, "state variable '\(v)': vectors and derivatives are not supported in synapses") }
            guard stateIndex[v.name] == nil && !hidden.contains(where: { $0.1.name == v.name }) else {
                throw fail(d.line, "state variable '\(v.name)' is declared twice")
            }
            if isHidden { hidden.append((d, v)); continue }
            stateIndex[v.name] = states.count
            states.append(StateVar(name: v.name, kind: .plain, unit: unitSymbol(d.type), recordable: true, initial: d.value, line: d.line))
        }
        for (d, v) in hidden {
            stateIndex[v.name] = states.count
            states.append(StateVar(name: v.name, kind: .plain, unit: unitSymbol(d.type), recordable: false, initial: d.value, line: d.line))
        }
        // The engine adds the time of the last update (unless the model keeps it) to 10 numbers at most.
        guard states.count <= (lastSpikeTime == nil ? 9 : 10) else {
            throw fail(m.line, "\(states.count) state variables: a synapse holds at most 9 (7 when it draws random numbers), 10 with a @plexus::last_spike_time")
        }
        try declareInternals()
        for i in m.inlines { inlines[i.name] = i }
        // ODEs: exponential decays x' = a x with a constant rate, solved exactly over any interval.
        for ode in m.odes {
            _ = try plexusDecorators(ode.decorators, line: ode.line, allowed: [])
            guard ode.lhs.order == 1, let s = stateIndex[ode.lhs.name] else {
                throw fail(ode.line, "the ODE of '\(ode.lhs.description)' needs a first-order state variable '\(ode.lhs.name)' declared with its initial value")
            }
            let e = try expand(ode.rhs, line: ode.line)
            let sym = try symbolic(e)
            guard let (rest, rate) = sym.linear(in: ode.lhs.name), rest.isZero,
                  rate.names.allSatisfy({ stateIndex[$0] == nil && $0 != "t" }) else {
                throw fail(ode.line, "the ODE of '\(ode.lhs.name)' is not an exponential decay x' = a x with a constant rate: synapses support those (NESTML's traces)")
            }
            states[s].kind = .ode
            decayRates[s] = rate
        }
        if let lastSpikeTime {
            var assignedLines: [Int] = []
            for b in [m.update ?? []] + m.onReceive.map(\.body) + m.functions.map(\.body) {
                b.forEachStatement { st in if case .assignment(let v, _, _) = st.kind, v.name == lastSpikeTime { assignedLines.append(st.line) } }
            }
            if let line = assignedLines.first {
                throw fail(line, "'\(lastSpikeTime)' is the engine's time of the last presynaptic spike (@plexus::last_spike_time): it is set after each one, not by the model")
            }
        }
        // Post-spike traces: changed by the post handler only (and their decay).
        func assigned(_ body: [NESTML.Statement]) -> Set<String> { Set(body.assignments.map(\.0.name)) }
        let postBody = postPort.flatMap { p in m.onReceive.first { $0.port == p }?.body } ?? []
        var elsewhere = assigned(m.update ?? [])
        for r in m.onReceive where r.port != postPort { elsewhere.formUnion(assigned(r.body)) }
        for f in m.functions { elsewhere.formUnion(assigned(f.body)) }
        let postTraces = states.indices.filter { $0 > 0 && assigned(postBody).contains(states[$0].name) && !elsewhere.contains(states[$0].name) }
        let source = try synapseSource(prePort: prePort, postPort: postPort, postTraces: Set(postTraces))
        // Statement parameters: the file's parameters, then the initial values of the state.
        var specs = parameters.map { PointNeuronDescription.Parameter(name: $0.name, unit: $0.unit, defaultValue: $0.value, doc: $0.doc) }
        for st in states.dropFirst() where st.recordable {
            guard let e = st.initial else { throw fail(st.line, "state variable '\(st.name)' has no initial value") }
            let x: Double
            do { x = try constantValue(e) } catch let err as PlexusError { throw fail(st.line, "the initial value of '\(st.name)': \(err.message)") }
            let doc = allState.first { $0.1.name == st.name }?.0.doc ?? ""
            specs.append(.init(name: st.name, unit: st.unit, defaultValue: x, doc: doc.isEmpty ? "initial value (\(e))" : "initial value: \(doc)"))
        }
        var d = PointSynapseDescription(
            name: m.name, file: file, parameters: specs, parameterCount: parameters.count,
            state: states.map { .init(name: $0.name, unit: $0.unit, recordable: $0.recordable) },
            internals: internals.map(\.name), readsPostSpikes: postPort != nil, draws: drawsRandomNumbers,
            postTraces: postTraces, cSource: source, entrySymbol: prefix + "synapse")
        d.archiveReads = archiveReads
        d.lastSpikeTimeIndex = lastSpikeTime.flatMap { stateIndex[$0] }
        d.invariants = try invariants()
        return d
    }

    /// integrate_odes(x, ...) in a synapse: the listed decays (all without arguments) over c->h.
    func synapseIntegrate(_ args: [NExpr], indent: String, line: Int) throws -> String {
        var set = Set(decayRates.keys)
        if !args.isEmpty {
            set = []
            for a in args {
                guard case .variable(let v) = a, v.index == nil, let s = stateIndex[v.name], decayRates[s] != nil else {
                    throw fail(line, "integrate_odes(\(a)): not a variable with an ODE")
                }
                set.insert(s)
            }
        }
        let sc = Scope(state: { "S[\($0)]" }, where_: "in an ODE")
        var out = ""
        for s in set.sorted() {
            // exp(-h / tau) as ODE-toolbox writes the propagator of x' = -x / tau.
            if case .binary(.divide, .number(-1), let tau) = decayRates[s]! {
                out += "\(indent)S[\(s)] *= exp(-c->h / \(try c(try unsymbolic(tau), sc, line: line)));\n"
            } else {
                out += "\(indent)S[\(s)] *= exp(\(try c(try unsymbolic(decayRates[s]!), sc, line: line)) * c->h);\n"
            }
        }
        return out
    }

    func synapseSource(prePort: String, postPort: String?, postTraces: Set<Int>) throws -> String {
        let p = prefix
        var out = "\n/* ---- \(m.name) (\(file)) ---- */\n"
        out += "typedef struct { const double* K; double* S; double h; int64_t step; plx_rng* rng; double t; plx_synapse_event* ev; } \(p)ctx;\n"
        out += try userFunctions()
        // internals (from the parameters; NESTML computes them once per synapse)
        let isc = Scope(state: { _ in "NAN" }, where_: "in the internals")
        out += "static void \(p)internals(double* K, double h) {\n    \(p)ctx cc = { K, 0, h, 0, 0, 0, 0 }; const \(p)ctx* c = &cc; (void)c;\n"
        out += "    \(internalRef(0)) = h;\n"
        for (j, x) in internals.enumerated() where j > 0 {
            guard let e = x.expr else { throw fail(x.line, "internal '\(x.name)' has no value") }
            out += "    \(internalRef(j)) = \(try c(e, isc, line: x.line));\n"
        }
        out += "}\n"
        // initial state (the weight is set by the engine)
        out += "static void \(p)initial_state(const double* K, double* S) {\n    \(p)ctx cc = { K, S, K[\(np)], 0, 0, 0, 0 }; const \(p)ctx* c = &cc; (void)c;\n"
        let initScope = Scope(state: { "S[\($0)]" }, where_: "in an initial value")
        for (v, st) in states.enumerated() {
            guard v > 0 else { out += "    S[0] = 0;\n"; continue }
            guard let e = st.initial else { throw fail(st.line, "state variable '\(st.name)' has no initial value") }
            out += "    S[\(v)] = \(try c(e, initScope, line: st.line));\n"
        }
        out += "}\n"
        let draws = drawsRandomNumbers
        func handler(_ name: String, _ body: [NESTML.Statement], where_: String, role: SynapseHandler? = nil, deferring: Set<Int> = [],
                     guardInterval: Bool = false) throws -> String {
            var s = "static inline void \(p)\(name)(plx_synapse_event* e, const double* K, double* S) {\n"
            if guardInterval { s += "    if (e->h < 1e-12) return;\n" }
            if draws {
                // The synapse's own stream: (seed, source, target) in the id, the statement in
                // the free bits of the last counter word, the multapse in the block counter.
                s += "    plx_rng rng = plx_rng_make(e->key0, e->key1, e->id, (uint32_t)e->step, 16);\n"
                s += "    rng.c3 ^= e->index & 0xFFFu; rng.counter = (e->index >> 12) << 16;\n"
            }
            s += "    \(p)ctx cc = { K, S, e->h, e->step, \(draws ? "&rng" : "0"), e->t, e }, *c = &cc; (void)c;\n"
            var sc = Scope(state: { "S[\($0)]" }, where_: where_)
            sc.randomAllowed = true
            sc.synapseHandler = role
            // Assignments to the post-spike traces run last (NESTML's neuron increments them after
            // the handler read them).
            func deferred(_ st: NESTML.Statement) -> Bool {
                if case .assignment(let v, _, _) = st.kind, let k = stateIndex[v.name] { return deferring.contains(k) }
                return false
            }
            s += try statements(body.filter { !deferred($0) }, &sc, indent: "    ", inFunction: false)
            s += try statements(body.filter(deferred), &sc, indent: "    ", inFunction: false)
            return s + "}\n"
        }
        out += try handler("advance", m.update ?? [], where_: "in the update", guardInterval: true)
        let pre = m.onReceive.filter { $0.port == prePort }.flatMap(\.body)
        out += try handler("pre_spike", pre, where_: "in onReceive(\(prePort))", role: .pre)
        if let postPort {
            let post = m.onReceive.filter { $0.port == postPort }.flatMap(\.body)
            out += try handler("post_spike", post, where_: "in onReceive(\(postPort))", role: .post, deferring: postTraces)
        }
        // send: NESTML's `send`, the handlers inlined.
        let traces = postTraces.sorted()
        out += "static void \(p)send(plx_synapse_event* e, const double* K, double* S, const double* post, int64_t npost) {\n"
        out += "    const double t = e->t, d = e->delay;\n    double tlast = e->t_last;\n"
        if postPort != nil {
            if !traces.isEmpty { out += "    double before[\(traces.count)] = {0}; int coincident = 0;\n" }
            out += "    for (int64_t i = 0; i < npost; i++) {\n        const double tp = post[i] + d;\n"
            out += "        e->t = tp; e->h = tp - tlast;\n        \(p)advance(e, K, S);\n"
            if !traces.isEmpty {
                // A post spike at t - d: the pre handler reads the traces without it.
                out += "        if (t - tp <= 1e-6) { coincident = 1;\(traces.enumerated().map { " before[\($0)] = S[\($1)];" }.joined()) }\n"
            }
            if archiveReads.contains(.kminusTriplet) { out += "        e->post_kminus_triplet_now = e->post_kminus_triplet[i];\n" }
            out += "        \(p)post_spike(e, K, S);\n        tlast = tp;\n    }\n"
        } else {
            out += "    (void)post; (void)npost; (void)d;\n"
        }
        out += "    e->t = t; e->h = t - tlast;\n    \(p)advance(e, K, S);\n    e->emitted = 0;\n"
        if postPort != nil && !traces.isEmpty {
            out += "    double after[\(traces.count)] = {0};\n"
            out += "    if (coincident) {\(traces.enumerated().map { " after[\($0)] = S[\($1)]; S[\($1)] = before[\($0)];" }.joined()) }\n"
            out += "    \(p)pre_spike(e, K, S);\n"
            out += "    if (coincident) {\(traces.enumerated().map { " S[\($1)] = after[\($0)];" }.joined()) }\n"
        } else {
            out += "    \(p)pre_spike(e, K, S);\n"
        }
        out += "}\n"
        out += """
        static const plx_synapse_model \(p)synapse = { "\(m.name)", \(states.count), \(np), \(np + internals.count), \(archiveReads.rawValue),
            \(p)internals, \(p)initial_state, \(p)send };

        """
        return out
    }
}
