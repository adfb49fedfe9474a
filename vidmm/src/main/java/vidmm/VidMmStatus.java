package vidmm;

/** Why a VidMm call failed (named after the NTSTATUS codes of dxgkrnl where one fits). */
public enum VidMmStatus {
    INVALID_PARAMETER,
    /** No device or allocation has that handle. */
    INVALID_HANDLE,
    /** The adapter did not start (no driver, or caps refused). */
    ADAPTER_NOT_STARTED,
    /** The device faulted; it accepts no more work (STATUS_GRAPHICS_DEVICE_REMOVED-like). */
    DEVICE_IN_ERROR,
    /** Making it resident would exceed the process's budget (STATUS_GRAPHICS_NO_VIDEO_MEMORY). */
    NO_VIDEO_MEMORY,
    /** The allocation is not shareable. */
    NOT_SHARED,
    /** The kernel-mode driver refused the call; the message carries its reason. */
    DRIVER_REFUSED,
    /** The driver did not return from a DDI within TdrDdiDelay: VidMm gave it up and moves to the next best. */
    DRIVER_HUNG,
    /** The OS memory manager refused (no such process, no memory, ...). */
    MEMORY_MANAGER_REFUSED,
    /** The allocation is being displayed; present another primary first. */
    ALLOCATION_IN_USE,
    /** Mapping it would exceed the driver's ApertureSegmentCommitLimit, or the aperture is full. */
    APERTURE_COMMIT_LIMIT
}
