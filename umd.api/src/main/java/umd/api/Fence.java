package umd.api;

import org.osgi.annotation.versioning.ProviderType;

/**
 * A fence (ID3D12Fence over a kernel monitored fence): a 64-bit value that only grows, signalled and
 * waited for by the devices of its process on any adapter ({@link UmdDevice#signal},
 * {@link UmdDevice#waitOnGpu}) and waited for by the CPU. It goes with the device that created it.
 */
@ProviderType
public interface Fence {
    /** The kernel's handle of it. */
    long handle();

    /** The value it reached (read from the process's memory, as GetCompletedValue does). */
    long completedValue();

    /** Waits on the CPU until it reaches {@code value}, the time is up, or it is destroyed ({@code DEVICE_ERROR}). */
    WaitResult waitFor(long value, long timeoutMillis);
}
