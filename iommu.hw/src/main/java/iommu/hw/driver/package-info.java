/**
 * The contract between an operating system and the driver of one IOMMU unit, whatever the unit's
 * architecture: bind a PASID to a page table and unbind it, invalidate a range, enable page requests
 * and answer them, hear of devices that time out an invalidation. An architecture bundle registers an
 * {@link iommu.hw.driver.IommuDriverFactory} (service property {@code iommu.arch}); the OS opens a
 * driver per unit of that architecture and names no architecture itself.
 *
 * <p>The contract is here rather than in the OS's bundle so that architecture bundles depend on the
 * hardware's API alone and the OS's tests can build a machine of either architecture.
 */
@Version("1.0.0")
@Export
package iommu.hw.driver;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
