package iommu.hw.internal;

import iommu.hw.Pte;
import iommu.hw.SystemMemory;

/**
 * Test helper: builds x86-64 page tables by hand in system memory, with its own frame bump allocator
 * (part of the test fixture: the contract suite builds its tables with it too).
 */
public final class Tables {
    static final long TABLE = Pte.PRESENT | Pte.WRITABLE | Pte.USER;

    final SystemMemory memory;
    public final long root;
    private long nextFrame;

    public Tables(SystemMemory memory, long firstFrame) {
        this.memory = memory;
        this.nextFrame = firstFrame;
        this.root = frame();
    }

    public long frame() {
        return (nextFrame++) << 12;
    }

    /** {@code count} frames in a row, the first aligned to their size. */
    public long frames(int count) {
        nextFrame = (nextFrame + count - 1) / count * count;
        long first = nextFrame << 12;
        nextFrame += count;
        return first;
    }

    /** The OS side of {@code unit}: a VT-d driver whose tables come from this helper's frames (never reused). */
    iommu.hw.vtd.VtdDriver driver(IommuUnit unit) {
        return new iommu.hw.vtd.VtdDriver(unit, memory, new iommu.hw.vtd.VtdDriver.Frames() {
            @Override
            public long allocate() {
                return frame();
            }

            @Override
            public void free(long address) {
                // a test's memory is not reused
            }
        });
    }

    /** Address of the entry for {@code va} at {@code level}, creating tables above it with {@code tableFlags}. */
    long entry(long va, int level, long tableFlags) {
        long table = root;
        for (int l = 4; l > level; l--) {
            long at = table + 8L * Pte.index(va, l);
            long e = memory.readLong(at);
            if (!Pte.isPresent(e)) {
                e = Pte.make(frame(), tableFlags);
                memory.writeLong(at, e);
            }
            table = Pte.address(e);
        }
        return table + 8L * Pte.index(va, level);
    }

    public void map4k(long va, long pa, long flags) {
        memory.writeLong(entry(va, 1, TABLE), pa | flags);
    }

    void map2m(long va, long pa, long flags) {
        memory.writeLong(entry(va, 2, TABLE), pa | flags | Pte.PAGE_SIZE);
    }

    void map1g(long va, long pa, long flags) {
        memory.writeLong(entry(va, 3, TABLE), pa | flags | Pte.PAGE_SIZE);
    }
}
