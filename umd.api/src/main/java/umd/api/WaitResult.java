package umd.api;

/** How a wait for a submission fence ended. */
public enum WaitResult { COMPLETED, DEVICE_ERROR, TIMEOUT }
