package vidmm.internal;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import gpu.hw.PciIdentity;
import kmd.api.DisplayDriver;
import vidmm.DriverBinding;

/**
 * The driver services offered to one adapter, and which of them to attach, in OSGi Device Access
 * order: the best match score, then the highest {@code service.ranking}, then the lowest
 * {@code service.id}. A driver whose match said NO_MATCH (or threw) is never chosen, and neither is
 * one VidMm refused (it failed to attach, hung, or passed the TDR limit) until its service comes again
 * or its refusal is forgotten. Guarded by the adapter's lock.
 */
final class DriverCandidates {
    /** A driver service as a candidate of this adapter; {@code score} is what its match answered. */
    record Candidate(DisplayDriver driver, long serviceId, int ranking, int score, String name) {
    }

    private final Map<DisplayDriver, Candidate> candidates = new LinkedHashMap<>();
    private final Map<Long, String> refused = new LinkedHashMap<>();

    /** A driver service's answer to this adapter: the candidate, and why it is refused (null: it is not). */
    record Offer(Candidate candidate, String refusal) {
    }

    /**
     * Asks {@code driver} how well it matches {@code adapter}; a match that throws refuses it. Called
     * without the adapter's locks: a driver's match is its own code.
     */
    static Offer offer(DisplayDriver driver, Map<String, Object> properties, PciIdentity adapter) {
        int score;
        String refusal = null;
        try {
            score = driver.match(adapter);
        } catch (RuntimeException e) {
            score = DisplayDriver.NO_MATCH;
            refusal = "match failed: " + e;
        }
        Candidate c = new Candidate(driver, number(properties.get("service.id")),
                (int) number(properties.get("service.ranking")), Math.max(0, score),
                String.valueOf(properties.getOrDefault(DisplayDriver.NAME, driver.getClass().getSimpleName())));
        return new Offer(c, refusal);
    }

    /** Keeps an {@link #offer}ed candidate. */
    void add(Offer offer) {
        Candidate c = offer.candidate();
        candidates.put(c.driver(), c);
        if (offer.refusal() != null) {
            refused.put(c.serviceId(), offer.refusal());
        }
    }

    private static long number(Object value) {
        return value instanceof Number n ? n.longValue() : 0;
    }

    /** The driver service went: it is no candidate any more, and its refusal goes with it. */
    void remove(DisplayDriver driver) {
        Candidate gone = candidates.remove(driver);
        if (gone != null) {
            refused.remove(gone.serviceId());
        }
    }

    /** Whether {@code c}'s service is still there (so that it may be started again). */
    boolean present(Candidate c) {
        return c != null && candidates.containsKey(c.driver());
    }

    /** {@code c} is not chosen again until its service comes again or {@link #forgetRefusals}. */
    void refuse(Candidate c, String why) {
        refused.put(c.serviceId(), why);
    }

    /** Forgets why the drivers that matched were refused; returns how many were. */
    int forgetRefusals() {
        int forgotten = 0;
        for (Candidate c : candidates.values()) {
            if (eligible(c) && refused.remove(c.serviceId()) != null) {
                forgotten++;
            }
        }
        return forgotten;
    }

    /** A driver whose match said NO_MATCH is never attached. */
    private static boolean eligible(Candidate c) {
        return c.score() > 0;
    }

    /** The best eligible candidate not refused, or null. */
    Candidate best() {
        Candidate best = null;
        for (Candidate c : candidates.values()) {
            if (!eligible(c) || refused.containsKey(c.serviceId())) {
                continue;
            }
            if (best == null || c.score() > best.score() || (c.score() == best.score() && (c.ranking() > best.ranking()
                    || (c.ranking() == best.ranking() && c.serviceId() < best.serviceId())))) {
                best = c;
            }
        }
        return best;
    }

    /** Every candidate as {@code kmd:list} shows it: whether it is {@code attached}, or why it is not chosen. */
    List<DriverBinding> bindings(int adapter, PciIdentity identity, Candidate attached) {
        List<DriverBinding> list = new ArrayList<>();
        for (Candidate c : candidates.values()) {
            String why = refused.get(c.serviceId());
            if (why == null && !eligible(c)) {
                why = "does not match " + identity;
            }
            list.add(new DriverBinding(adapter, c.name(), c.serviceId(), c.score(), c.ranking(),
                    attached != null && c.driver() == attached.driver(), why));
        }
        return list;
    }
}
