package umd.api;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/** An adapter opened by a UMD for one process. */
@ProviderType
public interface UmdAdapter {
    int pid();

    /** The adapter's index. */
    int index();

    /** The video present sources a primary can be created for. */
    List<SurfaceMode> displayModes();

    /** Creates a device of the process on this adapter. */
    UmdDevice createDevice();
}
