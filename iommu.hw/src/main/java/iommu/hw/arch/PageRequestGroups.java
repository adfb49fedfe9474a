package iommu.hw.arch;

import iommu.hw.PageResponse;

/**
 * The page request groups a unit has outstanding, by PRG index (nine bits, as PCIe's page request
 * messages carry it): which device each is for, and its response once software answered. A response
 * for a group that does not wait, or for another device's, is dropped, as a device drops it. Not
 * thread safe: the unit's page request lock guards it.
 */
public final class PageRequestGroups {
    /** PRG indexes: 512. */
    public static final int GROUPS = 512;
    private final boolean[] outstanding = new boolean[GROUPS];
    private final int[] owners = new int[GROUPS];
    private final PageResponse[] responses = new PageResponse[GROUPS];
    private int next;

    /** A free PRG index for a group of {@code requesterId}'s, now outstanding; -1 when all 512 are. */
    public int open(int requesterId) {
        for (int i = 0; i < GROUPS; i++) {
            int g = (next + i) % GROUPS;
            if (!outstanding[g]) {
                outstanding[g] = true;
                owners[g] = requesterId;
                responses[g] = null;
                next = (g + 1) % GROUPS;
                return g;
            }
        }
        return -1;
    }

    /**
     * Software's {@code response} to group {@code group} of {@code requesterId}'s; false (nothing changes)
     * when no such group waits.
     */
    public boolean answer(int group, int requesterId, PageResponse response) {
        if (group < 0 || group >= GROUPS || !outstanding[group] || owners[group] != requesterId) {
            return false;
        }
        responses[group] = response;
        return true;
    }

    /** Closes {@code group}: its response ({@link PageResponse#FAILURE} when software gave none), and the index is free again. */
    public PageResponse close(int group) {
        PageResponse r = responses[group];
        responses[group] = null;
        outstanding[group] = false;
        return r == null ? PageResponse.FAILURE : r;
    }
}
