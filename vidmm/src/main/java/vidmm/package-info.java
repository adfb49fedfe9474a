/**
 * The video memory manager's services, as the shell and the kernel thunks call them. Errors are
 * {@link vidmm.VidMmException}s with a {@link vidmm.VidMmStatus}; a failed call changes nothing.
 *
 * <h2>Devices, contexts and fences</h2>
 * A process's device owns allocations; work runs on the device's contexts
 * ({@link vidmm.VidMm#createContext}, D3DKMTCreateContext), each on one engine node (RENDER, COPY)
 * of one physical GPU of its adapter. Each context has its own monitored fence timeline: its
 * submissions get fence values 1, 2, ... and complete in order, and the driver's completion of
 * one context's fence never completes another's. So a small copy on a copy context cannot report a
 * long render on a render context of the same device complete, and everything that trusts a fence
 * trusts the right one: {@link vidmm.VidMm#waitForFence}, the budget's choice of idle allocations
 * (an allocation is idle when every context that used it passed the fence of that use), engine
 * reset and resubmission (per context, per node), and the drains before a device or process goes:
 * its PASID is released only after every context of it finished or its engines were reset.
 * {@link vidmm.VidMm#context} is the shorthand for "the device's first context on this node".
 *
 * <h2>Monitored fences</h2>
 * A synchronization object ({@link vidmm.VidMm#createSynchronizationObject}) is a 64-bit value in
 * a page of its process. A context signals it from the GPU ({@link vidmm.VidMm#signalFromGpu}: a
 * fence write after the context's earlier work; the object reaches the value when that submission
 * completes) and waits for it on the GPU ({@link vidmm.VidMm#waitFromGpu}: VidMm holds back what the
 * context is given after the wait and hands it to the driver once the value is reached; the driver
 * never sees a wait). The CPU signals and waits too. Contexts of any of the process's devices, on any
 * adapter, share its objects: a copy context can wait for a render context, or one adapter for
 * another. A wait never satisfied is a timeout of its context's device (TDR), not a hang.
 *
 * <p>A fault or a timeout of a context's work puts its device in error (as a lost WDDM device):
 * every context of it then answers {@link vidmm.FenceWait#DEVICE_IN_ERROR} and refuses new work.
 */
@Version("0.10.0")
@Export
package vidmm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
