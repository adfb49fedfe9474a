package kmd.conformance.internal;

import java.util.function.Consumer;

/**
 * One check of a battery: a name ({@code area.what}) and what it does with a fresh session ({@link
 * Session} for a KMD, {@link UmdSession} for a UMD); it fails by throwing {@link CheckFailed} (or
 * by a call throwing where it must not).
 */
record Check<S>(String name, Consumer<S> body) {
}
