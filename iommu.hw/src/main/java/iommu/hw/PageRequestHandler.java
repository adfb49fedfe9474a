package iommu.hw;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * How the OS answers page requests: it gives one to its {@link iommu.hw.driver.IommuDriver}, which reads
 * the unit's page request queue and answers each group with this handler's response; with none every
 * page request fails.
 *
 * <p>Called on the thread of a requesting DMA or translation, never while that thread holds the
 * IOMMU's internal locks or the driver's, so a handler may itself invalidate or translate. It must
 * return promptly and must not throw; a handler that throws is treated as answering
 * {@link PageResponse#FAILURE}.
 */
@ConsumerType
public interface PageRequestHandler {
    PageResponse handle(PageRequest request);
}
