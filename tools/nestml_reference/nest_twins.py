"""NEST 3.10's built-in twins of NESTML library neurons that Plexus has no built-in for.

Runs NEST's built-ins on a dc + excitatory and inhibitory spike protocol (the one of
NESTMLModelTests.sideBySide) and writes V_m at every step and the spike times to
Tests/Fixtures/nestml_nest_twins.json; NESTMLModelTests runs the NESTML files on the same
protocol with NEST's parameter values under NESTML's names and compares. Cases (JSON key: NEST
model -> NESTML file):

  iaf_cond_beta            iaf_cond_beta -> iaf_cond_beta_neuron
  iaf_chxk_2008            iaf_chxk_2008 -> iaf_chxk_2008_neuron
  ht_neuron                ht_neuron (NEST's Hill-Tononi model) -> hill_tononi_neuron, spikes on
                           AMPA (receptor_type 1) and GABA_A (3)
  ht_neuron_nmda_gaba_b    ht_neuron with instant_unblock_NMDA -> hill_tononi_neuron, spikes on
                           NMDA (2) and GABA_B (4)
  iaf_psc_exp_htum         iaf_psc_exp_htum -> iaf_psc_exp_htum_neuron

The first two cases connect both generators with receptor_type 0 and signed weights. The
ht_neuron cases carry "receptors": {"exc": k, "inh": m}: ht_neuron has no receptor 0 and
takes the receptor types AMPA 1, NMDA 2, GABA_A 3, GABA_B 4, the declaration order of
hill_tononi_neuron's four unqualified spike ports (AMPA, NMDA, GABA_A, GABA_B), which Plexus
maps to receptor_type 1..4; both weights are positive (conductances). The new cases also carry
"nest_model" (the model passed to nest.Create), "agreement" and "notes" (the semantic
differences between NEST's built-in and the NESTML file). None of the three NESTML files can
follow its built-in after the first spike (see "notes"); "agreement" says which V_m samples a
faithful run of the file can match: "through_first_spike" (the samples up to and including the
step of NEST's first spike, where both read E_Na) or "before_first_spike" (the samples before
that step; there NEST reads V_reset, the file its unreset V_m). The new cases' "params" hold,
besides NEST's parameters under NESTML's names, the NESTML-only values that make the two start
alike (initial state, GSL tolerances).

  OMP_WAIT_POLICY=PASSIVE /opt/nestvenv/bin/python tools/nestml_reference/nest_twins.py
"""
import json
import math
import os

import nest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OUT = os.path.join(REPO, "Tests", "Fixtures", "nestml_nest_twins.json")
EXC = [10.0, 20.3, 55.0, 100.0, 101.0, 102.0, 200.0, 251.7]
INH = [15.0, 30.0, 130.0, 201.0]
DURATION = 400.0

# NEST model, its parameters, the NESTML file's names for them, excitatory and inhibitory weights
CASES = {
    "iaf_cond_beta": ({"I_e": 300.0, "tau_rise_ex": 0.3, "tau_decay_ex": 2.5, "tau_rise_in": 0.5, "tau_decay_in": 4.0, "t_ref": 2.0},
                      {"I_e": "I_e", "tau_rise_ex": "tau_syn_rise_E", "tau_decay_ex": "tau_syn_decay_E",
                       "tau_rise_in": "tau_syn_rise_I", "tau_decay_in": "tau_syn_decay_I", "t_ref": "refr_T"},
                      "iaf_cond_beta_neuron", 6.0, -8.0),
    "iaf_chxk_2008": ({"I_e": 1600.0, "tau_syn_ex": 1.5, "tau_ahp": 0.7},
                      {"I_e": "I_e", "tau_syn_ex": "tau_syn_exc", "tau_ahp": "tau_ahp"},
                      "iaf_chxk_2008_neuron", 40.0, -40.0),
}

# ---------------------------------------------------------------------------------------------
# ht_neuron (NEST) -> hill_tononi_neuron (NESTML)

# NEST name -> NESTML name; a (name, f) pair where the NESTML value is f(NEST value).
HT_NAMES = {
    "E_Na": "E_Na", "E_K": "E_K", "g_NaL": "g_NaL", "g_KL": "g_KL", "tau_m": "Tau_m",
    "theta_eq": "Theta_eq", "tau_theta": "Tau_theta", "tau_spike": "Tau_spike", "t_ref": "t_spike",
    "g_peak_AMPA": "AMPA_g_peak", "tau_rise_AMPA": "AMPA_Tau_1", "tau_decay_AMPA": "AMPA_Tau_2", "E_rev_AMPA": "AMPA_E_rev",
    "g_peak_NMDA": "NMDA_g_peak", "tau_rise_NMDA": "NMDA_Tau_1", "tau_decay_NMDA": "NMDA_Tau_2", "E_rev_NMDA": "NMDA_E_rev",
    # only with instant_unblock_NMDA: NEST's m = 1/(1+exp(-S_act (V - V_act))), NESTML's 1/(1+exp((Vact - V)/Sact))
    "V_act_NMDA": "NMDA_Vact", "S_act_NMDA": ("NMDA_Sact", lambda s: 1.0 / s),
    "g_peak_GABA_A": "GABA_A_g_peak", "tau_rise_GABA_A": "GABA_A_Tau_1", "tau_decay_GABA_A": "GABA_A_Tau_2", "E_rev_GABA_A": "GABA_A_E_rev",
    "g_peak_GABA_B": "GABA_B_g_peak", "tau_rise_GABA_B": "GABA_B_Tau_1", "tau_decay_GABA_B": "GABA_B_Tau_2", "E_rev_GABA_B": "GABA_B_E_rev",
    "g_peak_NaP": "NaP_g_peak", "E_rev_NaP": "NaP_E_rev", "g_peak_KNa": "KNa_g_peak", "E_rev_KNa": "KNa_E_rev",
    "g_peak_T": "T_g_peak", "E_rev_T": "T_E_rev", "g_peak_h": "h_g_peak", "E_rev_h": "h_E_rev",
    # state
    "V_m": "V_m", "theta": "Theta",
}
# NEST-only (no NESTML counterpart; left at NEST's defaults, which the file hard-codes: N_NaP 3,
# N_T 2, tau_D_KNa 1250 ms, D_eq 0.001) or instructions to NEST's set_status.
HT_NEST_ONLY = ("instant_unblock_NMDA", "equilibrate")

HT_COMMON = {"g_KL": 1.3, "tau_m": 14.0, "theta_eq": -52.0, "tau_theta": 1.8, "tau_spike": 1.5, "t_ref": 1.5,
             "g_peak_NaP": 0.9, "g_peak_KNa": 1.1, "g_peak_T": 1.2, "g_peak_h": 0.8, "E_rev_h": -42.0}


def ht_equilibrium(v):
    """NEST's initial gating state at V_m = v (ht_neuron.cpp: State_ constructor and
    equilibrate), in the expressions and order of ht_neuron.cpp's m_eq_h_, m_eq_T_, h_eq_T_ and
    D_eq_KNa_ (defaults tau_D_KNa = 1250 ms, D_eq = 0.001), under hill_tononi_neuron's names."""
    d_influx = 0.025 / (1.0 + math.exp(-(v - -10.0) / 5.0))
    return {"IKNa_D": 1250.0 * d_influx + 0.001,
            "IT_m": 1.0 / (1.0 + math.exp(-(v + 59.0) / 6.2)),
            "IT_h": 1.0 / (1.0 + math.exp((v + 83.0) / 4)),
            "Ih_m": 1.0 / (1.0 + math.exp((v - -75.0) / 5.5))}


def ht_params(synapses):
    p = dict(HT_COMMON, **synapses)
    # NEST's ht_neuron computes its initial V_m (and theta, and the gating variables at
    # equilibrium) from the *default* parameters when the node is made; the NESTML file's initial
    # V_m and Theta are expressions of the parameters given. Set NEST's state explicitly.
    p["V_m"] = (0.2 * 30.0 + p["g_KL"] * -90.0) / (0.2 + p["g_KL"])
    p["theta"] = p["theta_eq"]
    p["equilibrate"] = True
    return p


HT_NOTES = [
    "Spikes: NEST's ht_neuron.cpp update() checks `ref_steps_ == 0 and V >= theta` after every GSL sub-step inside the step; "
    "hill_tononi_neuron.nestml checks `onCondition(not g_spike and V_m >= Theta)` once per step, after the update block. In these "
    "runs NEST's V_m reads E_Na exactly at every spike step (its crossings fell on GSL steps ending with the 0.1 ms step), so "
    "both stamp the first spike in the same step.",
    "After a spike NEST integrates V_m, theta and every variable through the refractory time with the repolarizing current "
    "I_spike = -(V - E_K)/tau_spike on (ht_neuron_dynamics: `node.S_.ref_steps_ > 0 ? ... : 0.0`; ref_steps_ = round(t_ref/h) + 1, "
    "counted down at the end of each step). The NESTML file's update block runs `integrate_odes(potassium_refr_t)` while "
    "potassium_refr_t > 0, so V_m = E_Na, Theta = E_Na and the intrinsic variables are held for t_spike; I_spike (gated by "
    "g_spike) never acts on V_m. When the timer expires, `onCondition(potassium_refr_t <= 0)` clears g_spike and, V_m = Theta = "
    "E_Na still, `onCondition(not g_spike and V_m >= Theta)` fires again at once: after its first spike the file spikes every "
    "t_spike (and, when the countdown ends a few 1e-16 below 0, again one step later, since then `potassium_refr_t >= 0` is false "
    "and g_spike stays false), with V_m held at E_Na. No parameter choice reproduces NEST after the first spike.",
    "Initial state: NEST starts D_IKNa, m_IT, h_IT, m_Ih (and m_fast/m_slow_NMDA) at their equilibria for V_m; the file starts "
    "IKNa_D, IT_m, IT_h, Ih_m at 0. The case sets NEST's equilibria as the NESTML initial values (params IKNa_D, IT_m, IT_h, Ih_m). "
    "NEST also computes its initial V_m and theta from the default g_NaL, g_KL, E_Na, E_K, theta_eq when the node is made; the "
    "case sets V_m, theta and equilibrate: true in NEST.",
    "Integration: NEST runs GSL RKF45 with y-control 1e-3 absolute, 0 relative over 16 variables (V_m, theta, the 8 beta-synapse "
    "variables, m_fast/m_slow_NMDA, m_Ih, D_IKNa, m_IT, h_IT); the case sets gsl_abs_error_tol 0.001, gsl_rel_error_tol 0 for the "
    "file, whose RKF45 vector differs (no m_fast/m_slow_NMDA; the timer); NEST keeps the RKF45 values of the synaptic "
    "conductances where the file propagates its kernels exactly. Step sequences can differ where GSL rejects steps. Before "
    "the first spike this is far below 1e-3 mV: an RK4 solution of NEST's equations (50 sub-steps per step, NEST's initial "
    "state) is within 2.3e-6 mV (ht_neuron) and 1.2e-6 mV (ht_neuron_nmda_gaba_b) of NEST's V_m up to its first spike; "
    "with the file's zero initial IKNa_D, IT_m, IT_h, Ih_m it is about 5 mV off.",
    "NMDA: NEST's default is two-stage unblocking (m_NMDA = A1 m_fast + A2 m_slow, tau_Mg_fast/slow_NMDA); the file has only the "
    "instantaneous 1/(1 + exp((NMDA_Vact - V_m)/NMDA_Sact)); with instant_unblock_NMDA NEST uses 1/(1 + exp(-S_act_NMDA (V - "
    "V_act_NMDA))), so NMDA_Vact = V_act_NMDA, NMDA_Sact = 1/S_act_NMDA (the case uses S_act_NMDA 0.25, exactly 1/4).",
    "Hard-coded in the file, parameters in NEST: N_NaP (3), N_T (2), tau_D_KNa (1250 ms; the file's inline tau_D); NEST's D_eq "
    "0.001 is the file's parameter KNa_D_EQ (0.001 pA / 1 mV). NEST has no I_e (the file's I_e stays 0) and a voltage_clamp the "
    "file lacks. The beta normalisation (the file's compute_synapse_constant, NEST's beta_normalization_factor) is the same "
    "number; the file's V_m' factor `1 s/nF` and `1 pA/(1 ms * 1 mV)` are 1 in NEST's units.",
]

# ---------------------------------------------------------------------------------------------
# iaf_psc_exp_htum (NEST) -> iaf_psc_exp_htum_neuron (NESTML)

HTUM_E_L = -65.0
HTUM_NAMES = {
    "C_m": "C_m", "tau_m": "tau_m", "tau_syn_ex": "tau_syn_exc", "tau_syn_in": "tau_syn_inh",
    "t_ref_abs": "t_ref_abs", "t_ref_tot": "t_ref_tot", "E_L": "E_L", "I_e": "I_e",
    # NEST takes V_th, V_reset (and V_m in set_status) absolute and stores them relative to E_L; the
    # file's V_th, V_reset and V_m are relative to E_L (E_L enters nothing but their defaults).
    "V_th": ("V_th", lambda v: v - HTUM_E_L), "V_reset": ("V_reset", lambda v: v - HTUM_E_L),
    "V_m": ("V_m", lambda v: v - HTUM_E_L),
}
HTUM_NOTES = [
    "Total refractoriness: NEST's iaf_psc_exp_htum.cpp update() decrements r_tot_ only while it is non-zero "
    "(`if ( S_.r_tot_ == 0 ) { if ( V_m_ >= Theta_ ) ... } else { --S_.r_tot_; }`); iaf_psc_exp_htum_neuron.nestml has "
    "`if r_tot == 0 and V_m >= V_th: ... else: r_tot -= 1`, so in the first step with V_m < V_th r_tot becomes -1 and never "
    "returns to 0: the file never spikes (unless V_m >= V_th in its very first step) and its V_m is never reset. V_m agrees "
    "with NEST up to NEST's first spike only.",
    "V_m: NEST's multimeter records S_.V_m_, relative to E_L (iaf_psc_exp_htum.h get_V_m_), as the file's V_m is; NEST's "
    "V_th, V_reset and set_status V_m are absolute (stored minus E_L), the file's V_th and V_reset relative: NESTML value = "
    "NEST value - E_L. NEST keeps the absolute V_m when E_L changes (V_m_ -= delta_EL), so the case sets NEST's V_m = E_L "
    "(relative 0, the file's initial V_m).",
    "Otherwise the same scheme: V_m propagated exactly only while r_abs == 0 (held at V_reset while absolutely refractory), "
    "synaptic currents always propagated, spikes split by the weight's sign (NEST) / excitatory and inhibitory ports (file), "
    "refractory counts round(t_ref/h) (NEST Time::get_steps, NESTML steps()).",
]


def ht_case(synapses, receptors, w_exc, w_inh):
    return {"nest_model": "ht_neuron", "nestml": "hill_tononi_neuron", "params": ht_params(synapses), "names": HT_NAMES,
            "nestml_extra": {"gsl_abs_error_tol": 0.001, "gsl_rel_error_tol": 0.0},
            "nestml_state": ht_equilibrium, "w_exc": w_exc, "w_inh": w_inh, "receptors": receptors, "agreement": "through_first_spike", "notes": HT_NOTES}


NEW_CASES = {
    "ht_neuron": ht_case({"g_peak_AMPA": 0.12, "tau_rise_AMPA": 0.4, "tau_decay_AMPA": 2.2,
                          "g_peak_GABA_A": 0.3, "tau_rise_GABA_A": 0.8, "tau_decay_GABA_A": 6.0, "E_rev_GABA_A": -80.0},
                         {"exc": 1, "inh": 3}, 10.0, 20.0),
    "ht_neuron_nmda_gaba_b": ht_case({"g_peak_NMDA": 0.1, "tau_rise_NMDA": 3.5, "tau_decay_NMDA": 35.0, "V_act_NMDA": -50.0,
                                      "S_act_NMDA": 0.25, "instant_unblock_NMDA": True,
                                      "g_peak_GABA_B": 0.03, "tau_rise_GABA_B": 40.0, "tau_decay_GABA_B": 150.0, "E_rev_GABA_B": -95.0},
                                     {"exc": 2, "inh": 4}, 40.0, 10.0),
    "iaf_psc_exp_htum": {"nest_model": "iaf_psc_exp_htum", "nestml": "iaf_psc_exp_htum_neuron",
                         "params": {"C_m": 200.0, "tau_m": 12.0, "tau_syn_ex": 1.5, "tau_syn_in": 3.0, "t_ref_abs": 0.5,
                                    "t_ref_tot": 3.0, "E_L": HTUM_E_L, "V_th": -52.0, "V_reset": -60.0, "I_e": 200.0, "V_m": HTUM_E_L},
                         "names": HTUM_NAMES, "w_exc": 600.0, "w_inh": -300.0, "agreement": "before_first_spike",
                         "notes": HTUM_NOTES},
}


def run(model, params, w_exc, w_inh, receptors=None):
    nest.ResetKernel()
    nest.set_verbosity("M_ERROR")
    nest.resolution = 0.1
    n = nest.Create(model, params=params)
    exc = nest.Create("spike_generator", params={"spike_times": EXC})
    inh = nest.Create("spike_generator", params={"spike_times": INH})
    dc = nest.Create("dc_generator", params={"amplitude": 60.0, "start": 120.0, "stop": 300.0})
    r = receptors or {"exc": 0, "inh": 0}
    nest.Connect(exc, n, syn_spec={"weight": w_exc, "delay": 1.0, "receptor_type": r["exc"]})
    nest.Connect(inh, n, syn_spec={"weight": w_inh, "delay": 1.5, "receptor_type": r["inh"]})
    nest.Connect(dc, n)
    mm = nest.Create("multimeter", params={"record_from": ["V_m"], "interval": 0.1})
    sr = nest.Create("spike_recorder")
    nest.Connect(mm, n)
    nest.Connect(n, sr)
    nest.Simulate(DURATION)
    ev = mm.get("events")
    return [float(v) for v in ev["V_m"]], [round(float(t), 10) for t in sr.get("events")["times"]]


def nestml_params(c):
    out = {}
    for k, x in c["params"].items():
        if k in HT_NEST_ONLY:
            continue
        name = c["names"][k]
        out.update({name[0]: name[1](x)} if isinstance(name, tuple) else {name: x})
    if "nestml_state" in c:
        out.update(c["nestml_state"](c["params"]["V_m"]))
    out.update(c.get("nestml_extra", {}))
    return out


def main():
    cases = {}
    for model, (params, names, nestml, w_exc, w_inh) in CASES.items():
        v, s = run(model, params, w_exc, w_inh)
        cases[model] = {"nestml": nestml, "params": {names[k]: x for k, x in params.items()}, "nest_params": params,
                        "w_exc": w_exc, "w_inh": w_inh, "V_m": v, "spikes": s}
        print(f"{model}: {len(s)} spikes, first {s[:4]}")
    for key, c in NEW_CASES.items():
        v, s = run(c["nest_model"], c["params"], c["w_exc"], c["w_inh"], c.get("receptors"))
        case = {"nestml": c["nestml"], "nest_model": c["nest_model"], "params": nestml_params(c), "nest_params": c["params"],
                "w_exc": c["w_exc"], "w_inh": c["w_inh"]}
        if "receptors" in c:
            case["receptors"] = c["receptors"]
        case.update({"agreement": c["agreement"], "notes": c["notes"], "V_m": v, "spikes": s})
        cases[key] = case
        print(f"{key}: {len(s)} spikes, first {s[:4]}")
    with open(OUT, "w") as f:
        json.dump({"nest_version": nest.__version__, "duration_ms": DURATION, "exc_times": EXC, "inh_times": INH, "cases": cases}, f)
    print("wrote", OUT)


if __name__ == "__main__":
    main()
