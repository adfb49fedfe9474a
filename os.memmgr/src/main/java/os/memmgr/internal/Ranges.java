package os.memmgr.internal;

import iommu.hw.Access;
import iommu.hw.Pte;
import os.memmgr.AddressSpace;
import os.memmgr.MemoryException;
import os.memmgr.PageProtection;
import os.memmgr.Status;

/** Argument checks shared by the address-space calls; each throws naming the operation and the value. */
final class Ranges {
    private Ranges() {
    }

    /** Checks a page-aligned user range; returns its page count. */
    static long checkRange(String op, long va, long size) {
        if (size <= 0 || size > AddressSpace.MAX_RESERVATION) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format(
                    "%s: size must be 1..%d bytes, not %d", op, AddressSpace.MAX_RESERVATION, size));
        }
        if (!Pte.isCanonical(va)) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format("%s: VA 0x%x is not canonical", op, va));
        }
        if ((va & (AddressSpace.PAGE_SIZE - 1)) != 0) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format(
                    "%s: VA 0x%x is not page aligned (4 KiB)", op, va));
        }
        long pages = (size + AddressSpace.PAGE_SIZE - 1) / AddressSpace.PAGE_SIZE;
        if (va < AddressSpace.USER_MIN || va >= AddressSpace.USER_MAX
                || AddressSpace.USER_MAX - va < pages * AddressSpace.PAGE_SIZE) {
            throw new MemoryException(Status.INVALID_ADDRESS, String.format(
                    "%s: range 0x%x+0x%x is outside user space 0x%x..0x%x", op, va, size, AddressSpace.USER_MIN,
                    AddressSpace.USER_MAX));
        }
        return pages;
    }

    /** Checks the VA and length of a CPU access. */
    static void checkAccess(String op, long va, int length, int max) {
        if (length < 0 || length > max) {
            throw new MemoryException(Status.INVALID_PARAMETER, op + ": length must be 0.." + max + ", not " + length);
        }
        if (!Pte.isCanonical(va) || (length > 0 && !Pte.isCanonical(va + length - 1))) {
            throw new MemoryException(Status.INVALID_PARAMETER, String.format("%s: VA 0x%x is not canonical", op, va));
        }
    }

    static long leafFlags(PageProtection p) {
        return Pte.PRESENT | Pte.USER | (p.writable() ? Pte.WRITABLE : 0) | (p.executable() ? 0 : Pte.NO_EXECUTE);
    }

    /**
     * The one permission rule of the CPU access path, the page-request (PRI) handler and the
     * demand-zero / page-in path: what the leaf PTE {@link #leafFlags} writes for {@code p} allows
     * the hardware that walks it, so that the region's protection and the MMU's or IOMMU's answer
     * can never differ. On x86 a present user leaf is readable (there are no execute-only user
     * pages without protection keys), so PAGE_EXECUTE reads; a write needs W; an instruction fetch
     * needs NX clear. PAGE_NOACCESS has no present leaf at all: it allows nothing.
     */
    static boolean permits(PageProtection p, Access access) {
        if (p == PageProtection.NOACCESS) {
            return false;
        }
        long leaf = leafFlags(p);
        return switch (access) {
            case READ -> (leaf & (Pte.PRESENT | Pte.USER)) == (Pte.PRESENT | Pte.USER);
            case WRITE -> (leaf & Pte.WRITABLE) != 0;
            case EXECUTE -> (leaf & Pte.NO_EXECUTE) == 0;
        };
    }
}
