package iommu.hw;

/** The kind of a memory access, as carried by a DMA request or a CPU access. */
public enum Access {
    READ, WRITE, EXECUTE;

    /**
     * Parses the shell spelling of an access: {@code r}, {@code w} or {@code x} (or the full name).
     *
     * @throws IllegalArgumentException naming the text if it is none of those
     */
    public static Access parse(String text) {
        switch (text == null ? "" : text.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "r": case "read": return READ;
            case "w": case "write": return WRITE;
            case "x": case "execute": return EXECUTE;
            default:
                throw new IllegalArgumentException("access must be r, w or x, not '" + text + "'");
        }
    }
}
