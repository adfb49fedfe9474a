package gpu.hw;

/**
 * The aperture segment hardware (a GART): {@code pages} pages of GPU-physical address space from
 * {@code baseAddress}, each pointing at a system-memory frame; unmapped pages point at
 * {@code dummyFrame}.
 */
public record ApertureInfo(long baseAddress, long pages, long dummyFrame) {
    public long size() {
        return pages << 12;
    }
}
