package kmd.conformance.internal;

import java.util.function.Consumer;

/**
 * One check of the battery: a name ({@code area.what}) and what it does with a freshly started
 * driver context; it fails by throwing {@link CheckFailed} (or by a DDI throwing where it must not).
 */
record Check(String name, Consumer<Session> body) {
}
