/**
 * The DDI contract between the video memory manager (the caller) and a vendor kernel-mode driver
 * (the implementer), modelled on the WDDM DDIs. A vendor bundle registers a
 * {@link kmd.api.DisplayDriver} service that matches adapters; VidMm asks it for a
 * {@link kmd.api.KernelModeDriver} context per adapter it attaches it to, and calls the DDIs on that. Callbacks VidMm offers the driver are in
 * {@code kmd.api.callbacks}.
 *
 * <p>Handles are opaque longs. A driver handle (process, device, context) is chosen by the driver and passed
 * back to it; an allocation handle is chosen by VidMm.
 *
 * <p>Work runs on contexts (DxgkDdiCreateContext): a device has any number, each on one node
 * (RENDER, COPY) of one physical GPU, each with its own fence timeline. A completion reported for
 * one context never completes another's fences, so a small copy on a copy context cannot complete
 * a long render on a render context of the same device.
 */
@Version("2.0.0")
@Export
package kmd.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
