/**
 * The video memory manager's services, as the shell and (later) the kernel thunks call them.
 * Errors are {@link vidmm.VidMmException}s with a {@link vidmm.VidMmStatus}; a failed call changes
 * nothing.
 */
@Version("0.3.0")
@Export
package vidmm;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
