package iommu.hw;

import org.osgi.annotation.versioning.ConsumerType;

/**
 * How the OS answers page requests: it registers one with {@link Iommu#setPageRequestHandler}; with
 * none registered every page request fails.
 *
 * <p>Called on the thread of the requesting DMA or translation, never while that thread holds the
 * IOMMU's internal locks, so a handler may itself invalidate or translate. It must return promptly
 * and must not throw; a handler that throws is treated as answering {@link PageResponse#FAILURE}.
 */
@ConsumerType
public interface PageRequestHandler {
    PageResponse handle(PageRequest request);
}
