/** The callbacks VidMm offers a kernel-mode driver (DXGKRNL_INTERFACE). Implemented by VidMm. */
@Version("2.0.0")
@Export
package kmd.api.callbacks;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
