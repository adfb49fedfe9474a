/**
 * The OS memory manager: processes, each with one virtual address space whose x86-64 page table
 * lives in system memory and is shared by the CPU and (through a PASID) by the IOMMU.
 *
 * <p>Services are modelled on the Windows memory manager: VirtualAlloc-style reserve, commit,
 * decommit, release, protect and query; demand-zero paging; shared sections; pinning pages for DMA
 * (MmProbeAndLockPages); CPU reads and writes through the page table; a commit charge against a
 * commit limit of RAM plus pagefile; working sets that are trimmed to a pagefile and paged back in
 * by a CPU fault or an IOMMU page request. Errors are
 * {@link os.memmgr.MemoryException}s carrying a {@link os.memmgr.Status}; a failed call changes
 * nothing.
 */
@Version("2.0.0")
@Export
package os.memmgr;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
