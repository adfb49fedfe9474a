/**
 * The user-mode side of the model. A vendor bundle registers a {@link umd.api.UserModeDriver}
 * service; applications (workloads) open an adapter for their process and use the devices,
 * resources and command lists it returns. The driver reaches the kernel only through
 * {@link umd.api.KernelThunks} (D3DKMT-like, implemented by VidMm), and the memory of its own
 * process through {@link umd.api.ProcessMemory}.
 *
 * <p>Command buffers use kmd.api's vendor-neutral {@link kmd.api.DmaCommand} vocabulary: it is the
 * DMA-buffer format the reference UMD and KMD share.
 */
@Version("2.0.0")
@Export
package umd.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
