package os.memmgr;

import java.util.Locale;

/** The page protections of VirtualAlloc / VirtualProtect. */
public enum PageProtection {
    NOACCESS(false, false, false),
    READONLY(true, false, false),
    READWRITE(true, true, false),
    EXECUTE(false, false, true),
    EXECUTE_READ(true, false, true),
    EXECUTE_READWRITE(true, true, true);

    private final boolean readable;
    private final boolean writable;
    private final boolean executable;

    PageProtection(boolean readable, boolean writable, boolean executable) {
        this.readable = readable;
        this.writable = writable;
        this.executable = executable;
    }

    public boolean readable() {
        return readable;
    }

    public boolean writable() {
        return writable;
    }

    public boolean executable() {
        return executable;
    }

    /** Whether every right of {@code other} is also a right of this protection. */
    public boolean allows(PageProtection other) {
        return (readable || !other.readable) && (writable || !other.writable) && (executable || !other.executable);
    }

    /** The short spelling: {@code none}, {@code r}, {@code rw}, {@code x}, {@code rx}, {@code rwx}. */
    public String shortName() {
        return this == NOACCESS ? "none" : (readable ? "r" : "") + (writable ? "w" : "") + (executable ? "x" : "");
    }

    /**
     * Parses {@code none|r|rw|x|rx|rwx} or a Windows name such as {@code PAGE_READWRITE}.
     *
     * @throws MemoryException INVALID_PARAMETER naming the text
     */
    public static PageProtection parse(String text) {
        String t = text == null ? "" : text.trim().toUpperCase(Locale.ROOT);
        if (t.startsWith("PAGE_")) {
            t = t.substring(5);
        }
        switch (t) {
            case "NONE": case "NOACCESS": return NOACCESS;
            case "R": case "READONLY": return READONLY;
            case "RW": case "READWRITE": return READWRITE;
            case "X": case "EXECUTE": return EXECUTE;
            case "RX": case "EXECUTE_READ": return EXECUTE_READ;
            case "RWX": case "EXECUTE_READWRITE": return EXECUTE_READWRITE;
            default:
                throw new MemoryException(Status.INVALID_PARAMETER,
                        "protection must be none, r, rw, x, rx, rwx or a PAGE_* name, not '" + text + "'");
        }
    }
}
