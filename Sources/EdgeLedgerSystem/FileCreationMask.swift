/// The process umask both executables start with.
public enum FileCreationMask {
    /// The bits ``tighten()`` adds to the process umask: nothing EdgeLedger creates (store,
    /// journal, quarantine, keys, configuration, exports) is readable by other users, also when
    /// started outside systemd (whose units set `UMask=0077`) from a shell with umask 022.
    static let bits: mode_t = 0o027

    /// Adds ``bits`` to the process umask; call first in `main`, before any file is created.
    public static func tighten() {
        let previous = umask(bits)
        umask(previous | bits)
    }
}
