package vidmm.internal;

/** What a DDI call runs, on the driver's DDI thread ({@link DdiThread}) under its guard ({@link DdiGuard}). */
@FunctionalInterface
interface DdiCall {
    Object run() throws Throwable;
}
