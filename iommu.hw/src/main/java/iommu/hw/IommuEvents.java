package iommu.hw;

/**
 * The Event Admin topics the IOMMU posts (asynchronously, when an Event Admin is present) and their
 * properties. Translations are not posted one by one: {@link Iommu#stats()} counts them.
 */
public final class IommuEvents {
    /** A translation fault was recorded: {@link #PASID}, {@link #VA}, {@link #ACCESS}, {@link #REASON} (the fault kind). */
    public static final String FAULT = "iommu/FAULT";
    /** A page request was answered: {@link #PASID}, {@link #VA}, {@link #ACCESS}, {@link #RESPONSE}. */
    public static final String PAGE_REQUEST = "iommu/PAGE_REQUEST";
    /** Cached translations were invalidated: {@link #SCOPE} ({@code all}, {@code pasid}, {@code range}), and {@link #PASID}, {@link #VA}, {@link #LENGTH} as they apply. */
    public static final String INVALIDATION = "iommu/INVALIDATION";

    public static final String PASID = "pasid";
    public static final String VA = "va";
    public static final String ACCESS = "access";
    public static final String REASON = "reason";
    public static final String RESPONSE = "response";
    public static final String SCOPE = "scope";
    public static final String LENGTH = "length";

    /** Every event: {@code System.nanoTime()} when it happened (events are delivered later, asynchronously). */
    public static final String NANOS = "nanos";

    private IommuEvents() {
    }
}
