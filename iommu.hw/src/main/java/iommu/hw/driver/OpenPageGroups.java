package iommu.hw.driver;

import java.util.HashMap;
import java.util.Map;

import iommu.hw.PageRequest;
import iommu.hw.PageRequestHandler;
import iommu.hw.PageResponse;

/**
 * What a driver keeps while it drains a unit's page request queue: the worst response so far of each
 * group whose last request has not arrived yet, by device and PRG index; a group is answered once,
 * with the worst response of its pages. Not thread safe: the driver drains one queue at a time.
 */
public final class OpenPageGroups {
    private final Map<Long, PageResponse> open = new HashMap<>();

    /**
     * One request's {@code response}, of group {@code group} of {@code requesterId}'s: the group's
     * response when {@code last} (the group is closed), else null.
     */
    public PageResponse add(int requesterId, int group, PageResponse response, boolean last) {
        long key = (long) requesterId << 9 | group;
        PageResponse worst = open.merge(key, response, (a, b) -> a.ordinal() >= b.ordinal() ? a : b);
        if (!last) {
            return null;
        }
        open.remove(key);
        return worst;
    }

    /** {@code handler}'s answer to {@code request}: FAILURE for no handler, a null answer or one that threw. */
    public static PageResponse resolve(PageRequestHandler handler, PageRequest request) {
        if (handler == null) {
            return PageResponse.FAILURE;
        }
        try {
            PageResponse r = handler.handle(request);
            return r == null ? PageResponse.FAILURE : r;
        } catch (RuntimeException e) {
            return PageResponse.FAILURE;
        }
    }
}
