/// The fixed parts of a generated point-model library: the ABI header and the solvers the
/// kernels call (embedded from plexus_point.h and plexus_point_runtime.h), and the exported
/// table of models.
public enum PointKernelSource {
    public static let header = String(decoding: PackageResources.plexus_point_h, as: UTF8.self)
    public static let runtime = String(decoding: PackageResources.plexus_point_runtime_h, as: UTF8.self)

    public static var prelude: String { "#include <math.h>\n#include <stdint.h>\n#include <string.h>\n" + header + "\n" + runtime + "\n" }

    /// The exported table (`plexus_point_models`) listing the models' entries in order.
    public static func table(entries: [String]) -> String {
        exported(type: "plx_point_model", array: "plx_models", function: "plexus_point_models", entries: entries)
    }

    /// The exported table of synapse models (`plexus_synapse_models`).
    public static func synapseTable(entries: [String]) -> String {
        exported(type: "plx_synapse_model", array: "plx_synapses", function: "plexus_synapse_models", entries: entries)
    }

    static func exported(type: String, array: String, function: String, entries: [String]) -> String {
        var s = "\nstatic \(type) \(array)[\(max(1, entries.count))];\n"
        s += "__attribute__((visibility(\"default\"))) const \(type)* \(function)(int32_t* count, int32_t* abi_version) {\n"
        for (i, e) in entries.enumerated() { s += "    \(array)[\(i)] = \(e);\n" }
        s += "    *count = \(entries.count);\n    *abi_version = PLX_POINT_ABI_VERSION;\n    return \(array);\n}\n"
        return s
    }
}
