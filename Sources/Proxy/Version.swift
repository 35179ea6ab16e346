import CSeccomp

/// Build identity of this Portcullis engine.
public enum PortcullisVersion {
    public static let string = "0.1.0"

    /// The libseccomp version linked in, as "major.minor.micro".
    public static var seccompLibrary: String {
        let v = cseccomp_library_version()
        return "\(v / 10000).\(v / 100 % 100).\(v % 100)"
    }
}
