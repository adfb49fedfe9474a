/**
 * Helpers for vendor kernel-mode drivers: {@link kmd.sdk.AdapterContext}, a base for a driver's
 * context on one adapter that does what every driver of the simulated GPU does the same way, and
 * {@link kmd.sdk.Hardware}, the translations between the DDI types and the hardware's.
 */
@Version("2.0.0")
@Export
package kmd.sdk;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
