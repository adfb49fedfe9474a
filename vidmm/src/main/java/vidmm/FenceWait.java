package vidmm;

/** How a wait for a fence ended. */
public enum FenceWait { COMPLETED, DEVICE_IN_ERROR, TIMED_OUT }
