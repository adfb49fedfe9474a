package iommu.hw.driver;

import java.util.function.Consumer;

import org.osgi.annotation.versioning.ConsumerType;

import iommu.hw.Iommu;
import iommu.hw.PageRequestHandler;
import iommu.hw.RequesterId;

/**
 * The OS's driver of one IOMMU unit: what Linux's iommu_ops and iommu_sva calls ask of an architecture's
 * driver, as this model's OS uses them. Every PASID names a first-level (x86-64, 4-level) page table in
 * memory; each method returns once the unit does what it asked (its queued commands waited for), so that
 * after {@link #invalidate} or {@link #unbind} no request of any device still uses what they removed.
 * Bad arguments throw {@link IllegalArgumentException} and change nothing.
 */
@ConsumerType
public interface IommuDriver extends AutoCloseable {
    /** The unit it drives. */
    Iommu unit();

    /** The largest PASID {@link #bind} accepts. */
    int maxPasid();

    /** Binds {@code pasid} to the page table at {@code pml4} for every device behind the unit. */
    void bind(int pasid, long pml4);

    /** Unbinds {@code pasid}; when it returns the unit and its devices hold nothing of it. */
    void unbind(int pasid);

    /** Removes the unit's and devices' translations of {@code [va, va + length)} for {@code pasid}. */
    void invalidate(int pasid, long va, long length);

    /** Whether the unit's devices may send page requests, now and as they arrive. */
    void setPageRequests(boolean enabled);

    /** Who answers the unit's page requests (none: every page request fails). */
    void setPageRequestHandler(PageRequestHandler handler);

    /** Forgets {@code handler} if it is the one set. */
    void clearPageRequestHandler(PageRequestHandler handler);

    /** Who hears of a device that did not answer a device-TLB invalidation in time. */
    void setDeviceTimeoutHandler(Consumer<RequesterId> handler);

    /** Disables the unit and gives its tables' frames back. */
    @Override
    void close();
}
