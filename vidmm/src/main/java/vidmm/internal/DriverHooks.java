package vidmm.internal;

/**
 * What attaching a driver and a change of driver ask of the adapter's other parts: the TdrDdiDelay
 * guard's delay and what to do when it fires, the new driver's interrupts, the held submissions and
 * engine resets waiting for the change, and the display's replay and due unmaps. Called in a change
 * (the adapter's call order and lock held) unless named otherwise.
 */
interface DriverHooks {
    long ddiDelayMillis();

    /** A guarded DDI did not return within TdrDdiDelay (any thread, without the lock). */
    void driverHung(DdiGuard guard, String ddi);

    /** A driver was attached: TDR counts start again. */
    void attached();

    /** An interrupt of the attached driver (an engine's thread, without the lock). */
    void interrupt(kmd.api.callbacks.InterruptNotification n);

    void releaseHeldLocked(ContextState c);

    void resubmitDueLocked(boolean calledOff);

    void reserveShownIn(ApertureSpace space);

    long replayDisplayLocked();

    void pointReplayedLocked();

    void unmapDueLocked();
}
