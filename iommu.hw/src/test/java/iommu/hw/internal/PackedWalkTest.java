package iommu.hw.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.junit.jupiter.api.Test;

import iommu.hw.Access;
import iommu.hw.Pte;

/**
 * The walk from a cached PDE word (the miss path after a PDE-cache hit, with its own few tests for the
 * common leaf) against the full four-level walk over the same entries: seeded random leaves (any bits,
 * present or not, reserved bits, addresses beyond memory, A and D set or not) under random rights of
 * the levels above, for every access, user or not. Both must return the same packed outcome and leave
 * the same leaf behind (the accessed and dirty bits they set).
 */
class PackedWalkTest {
    private static final long MEMORY = 64L << 20;
    private static final long PML4 = 0x1000;
    private static final long PDPT = 0x2000;
    private static final long PD = 0x3000;
    private static final long PT = 0x4000;
    private static final long VA = 0x7000_1234_5000L;

    @Test
    void theWalkFromAPdeWordAgreesWithTheFullWalkOnRandomLeaves() {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        Access[] accesses = Access.values();
        for (int round = 0; round < 20_000; round++) {
            long leaf = randomLeaf(rnd);
            long pdeFlags = Pte.PRESENT | Pte.ACCESSED | (rnd.nextBoolean() ? Pte.WRITABLE : 0) | (rnd.nextBoolean() ? Pte.USER : 0)
                    | (rnd.nextInt(4) == 0 ? Pte.NO_EXECUTE : 0);
            Access access = accesses[rnd.nextInt(accesses.length)];
            boolean user = rnd.nextInt(4) != 0;
            LazySystemMemory full = tables(pdeFlags, leaf);
            LazySystemMemory fromPde = tables(pdeFlags, leaf);
            long[] pde = new long[1];
            long expected = PackedWalk.walk(full, PML4, VA, access, user, pde);
            long actual = PackedWalk.walkFromPde(fromPde, pde[0], VA, access, user);
            String what = String.format("seed %d round %d: leaf 0x%x under PDE flags 0x%x, %s, user %b", seed, round, leaf,
                    pdeFlags, access, user);
            assertEquals(expected, actual, what);
            long at = PT + 8L * Pte.index(VA, 1);
            assertEquals(full.readLong(at), fromPde.readLong(at), what + ": the leaf left behind");
        }
    }

    /** A leaf entry: mostly a plausible 4 KiB mapping, sometimes any bits at all. */
    private static long randomLeaf(Random rnd) {
        if (rnd.nextInt(8) == 0) {
            return rnd.nextLong();
        }
        long frame = rnd.nextInt(16) == 0 ? (MEMORY + rnd.nextInt(1 << 20) * 4096L) : 0x10_0000L + rnd.nextInt(1 << 10) * 4096L;
        long flags = 0;
        long reserved = Pte.RESERVED_HIGH & -Pte.RESERVED_HIGH; // the lowest reserved address bit
        long[] bits = {Pte.PRESENT, Pte.WRITABLE, Pte.USER, Pte.ACCESSED, Pte.DIRTY, Pte.NO_EXECUTE, reserved};
        for (long bit : bits) {
            if (rnd.nextInt(bit == Pte.PRESENT ? 8 : 2) != 0 && (bit != reserved || rnd.nextInt(8) == 0)) {
                flags |= bit;
            }
        }
        return frame | flags;
    }

    /** Four levels for {@link #VA}: PML4E and PDPTE granting everything, the PDE with {@code pdeFlags}, then {@code leaf}. */
    private static LazySystemMemory tables(long pdeFlags, long leaf) {
        LazySystemMemory memory = new LazySystemMemory(MEMORY);
        long all = Pte.PRESENT | Pte.WRITABLE | Pte.USER | Pte.ACCESSED;
        memory.writeLong(PML4 + 8L * Pte.index(VA, 4), PDPT | all);
        memory.writeLong(PDPT + 8L * Pte.index(VA, 3), PD | all);
        memory.writeLong(PD + 8L * Pte.index(VA, 2), PT | pdeFlags);
        memory.writeLong(PT + 8L * Pte.index(VA, 1), leaf);
        return memory;
    }
}
