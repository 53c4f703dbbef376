// The mechanism ABI header as text: every generated catalogue starts with it, so a catalogue
// compiles without an include path at run time. The one copy is Sources/PlexusModel/
// plexus_mechanism.h, embedded here at build time; the CPlexusMechanism target (what Swift
// imports) includes it through a symbolic link.
public enum MechanismABI {
    public static let version: Int32 = 1
    public static let header = String(decoding: PackageResources.plexus_mechanism_h, as: UTF8.self)
}
