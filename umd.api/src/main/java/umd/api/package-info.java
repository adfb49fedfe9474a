/**
 * The user-mode side of the model. A vendor bundle registers a {@link umd.api.UserModeDriver}
 * service; applications (workloads) open an adapter for their process and use the devices,
 * resources and command lists it returns. The driver reaches the kernel only through
 * {@link umd.api.KernelThunks} (D3DKMT-like, implemented by VidMm), and the memory of its own
 * process through {@link umd.api.ProcessMemory}.
 *
 * <p>A driver writes its command buffers into its process's memory, in its kernel-mode driver's
 * packet format, and submits them by address ({@link umd.api.KernelThunks#submitCommandBuffer}), as
 * D3DKMTSubmitCommand does; {@link umd.api.KernelThunks#submit} with kmd.api's
 * {@link kmd.api.DmaCommand} values remains for VidMm's own commands and tests.
 */
@Version("2.0.0")
@Export
package umd.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
