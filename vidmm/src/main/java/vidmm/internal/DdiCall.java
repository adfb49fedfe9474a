package vidmm.internal;

/** What a DDI call runs, on its caller's thread under its driver context's guard ({@link DdiGuard}). */
@FunctionalInterface
interface DdiCall {
    Object run() throws Throwable;
}
