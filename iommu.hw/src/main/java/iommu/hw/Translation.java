package iommu.hw;

/**
 * The result of translating one virtual address: a {@link Mapping} or a {@link Fault}. A translation
 * is a value; a mapping stays valid only until the next invalidation that covers it.
 */
public sealed interface Translation permits Translation.Mapping, Translation.Fault {

    /**
     * A translated page, with the effective rights of the whole walk (writable and user only if
     * every level allows it, executable only if no level sets NX).
     *
     * @param pageVa      the virtual address of the page's first byte
     * @param pagePa      the physical address of the page's first byte
     * @param size        the page size
     * @param writable    whether writes are allowed
     * @param user        whether user (non-privileged) requests are allowed
     * @param executable  whether instruction fetches are allowed
     * @param dirty       whether the leaf entry's dirty bit was set when the walk happened
     */
    record Mapping(long pageVa, long pagePa, PageSize size, boolean writable, boolean user,
                   boolean executable, boolean dirty) implements Translation {

        /** The physical address of {@code va}, which must lie within this page. */
        public long physicalAddress(long va) {
            return pagePa + (va & size.offsetMask());
        }

        /** Whether {@code va} lies within this page. */
        public boolean covers(long va) {
            return (va & ~size.offsetMask()) == pageVa;
        }

        /** The fault this mapping raises for {@code access}, or {@code null} if it is allowed. */
        public FaultKind check(Access access, boolean userRequest) {
            if (userRequest && !user) {
                return FaultKind.SUPERVISOR_ONLY;
            }
            if (access == Access.WRITE && !writable) {
                return FaultKind.WRITE_PROTECTED;
            }
            if (access == Access.EXECUTE && !executable) {
                return FaultKind.EXECUTE_PROTECTED;
            }
            return null;
        }

        @Override
        public String toString() {
            return String.format("0x%x -> 0x%x (%s, %s%s%s%s)", pageVa, pagePa, size,
                    user ? "u" : "s", writable ? "w" : "r", executable ? "x" : "-", dirty ? ", dirty" : "");
        }
    }

    /**
     * A failed translation.
     *
     * @param kind   why it failed
     * @param pasid  the requesting PASID (0 for a CPU access)
     * @param va     the faulting virtual address
     * @param access the requested access
     */
    record Fault(FaultKind kind, int pasid, long va, Access access) implements Translation {
        @Override
        public String toString() {
            return String.format("%s fault: PASID %d, VA 0x%x, %s", kind, pasid, va,
                    access.name().toLowerCase(java.util.Locale.ROOT));
        }
    }
}
