package iommu.hw.amdvi.internal;

import iommu.hw.SystemMemory;

/**
 * A buffer of 16-byte entries in memory as an AMD-Vi base register sets one (command buffer, event log,
 * PPR log): its base (bits 51:12), 2^len entries (len in bits 59:56, 8..15: 4 KiB to 512 KiB), and a head
 * and a tail, byte offsets into it (bits 18:4). Not thread safe: its owner's lock guards it.
 */
final class Ring {
    static final int ENTRY = 16;
    private final SystemMemory memory;
    private final String name;
    long base = -1;
    int entries;
    long head;
    long tail;

    Ring(SystemMemory memory, String name) {
        this.memory = memory;
        this.name = name;
    }

    /**
     * Sets the buffer; head and tail go back to 0.
     *
     * @throws IllegalArgumentException naming the buffer for a length outside 8..15 or a base that is not
     *                                  4 KiB-aligned inside memory (nothing changes)
     */
    void configure(long address, int len) {
        if (len < 8 || len > 15) {
            throw new IllegalArgumentException(name + " length must be 8..15 (2^len entries), not " + len);
        }
        long bytes = (long) ENTRY << len;
        if ((address & 0xFFF) != 0 || address < 0 || address + bytes > memory.size()) {
            throw new IllegalArgumentException(String.format("%s 0x%x (%d KiB) is not 4 KiB-aligned inside memory", name,
                    address, bytes >> 10));
        }
        base = address;
        entries = 1 << len;
        head = 0;
        tail = 0;
    }

    /**
     * {@code offset} as software writes a head or tail: a byte offset of an entry inside the buffer.
     *
     * @throws IllegalStateException if no buffer is set; IllegalArgumentException naming the register otherwise
     */
    long checked(String register, long offset) {
        if (base < 0) {
            throw new IllegalStateException("no " + name + " is set");
        }
        if ((offset & 0xF) != 0 || offset < 0 || offset >= (long) entries * ENTRY) {
            throw new IllegalArgumentException(String.format("%s %s 0x%x is not an entry's byte offset inside the buffer of %d entries"
                    + " (bits 18:4)", name, register, offset, entries));
        }
        return offset;
    }

    long next(long offset) {
        return (offset + ENTRY) % ((long) entries * ENTRY);
    }

    /** Free entries between tail and head (one is always left empty). */
    int free() {
        long size = (long) entries * ENTRY;
        return (int) (((head - tail - ENTRY) % size + size) % size / ENTRY);
    }

    long[] read(long offset) {
        return new long[] {memory.readLong(base + offset), memory.readLong(base + offset + 8)};
    }

    /** Writes {@code words} at the tail and moves it on. */
    void push(long[] words) {
        memory.writeLong(base + tail, words[0]);
        memory.writeLong(base + tail + 8, words[1]);
        tail = next(tail);
    }
}
