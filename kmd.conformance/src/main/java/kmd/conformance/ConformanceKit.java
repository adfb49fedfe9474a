package kmd.conformance;

import java.util.List;

import org.osgi.annotation.versioning.ProviderType;

/**
 * The KMD conformance kit: a battery of checks of the DDI contract ({@code kmd.api}) run against an
 * installed {@code DisplayDriver} service on a real (simulated) adapter. For the run the kit takes the
 * adapter from VidMm ({@code VidMm.hold}) and plays VidMm itself: it adds and starts the driver, makes
 * processes, devices, contexts and allocations, submits work and paging operations, and checks the
 * bytes, the interrupts and the hardware state; then it gives the adapter back, and VidMm attaches the
 * driver it had chosen again, replaying every live object. The same for a user-mode driver
 * ({@link #runUmd}), which the kit uses as an application does.
 */
@ProviderType
public interface ConformanceKit {
    /** The checks, by name, in the order they run. */
    List<String> checks();

    /**
     * Runs every check against the driver service named {@code driver} ({@code kmd.name}) on adapter
     * {@code adapter}, or on the first adapter it matches when {@code adapter} is negative.
     *
     * @throws IllegalArgumentException in one line: no such driver or adapter, the driver does not
     *                                  match the adapter, or the adapter is held by someone else
     */
    Report run(String driver, int adapter);

    /** The UMD checks, by name, in the order they run. */
    List<String> umdChecks();

    /**
     * Runs every UMD check against the user-mode driver service named {@code umd} ({@code umd.name})
     * on adapter {@code adapter} (0 when negative), as an application uses it: processes the kit
     * makes open the adapter through it and reach the kernel through the thunks, VidMm and whichever
     * KMD VidMm attached (the kit does not take the adapter).
     *
     * @throws IllegalArgumentException in one line: no such UMD or adapter
     */
    Report runUmd(String umd, int adapter);
}
