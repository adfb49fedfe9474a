package umd.api;

/** D3DDDI_MAKERESIDENT_FLAGS. */
public enum MakeResidentFlag {
    /**
     * CantTrimFurther: the UMD has trimmed everything else it could and needs these to make progress;
     * the kernel makes them resident even over the process's budget.
     */
    CANT_TRIM_FURTHER,
    /**
     * MustSucceed (only with {@link #CANT_TRIM_FURTHER}): the device cannot go on without them; if they
     * cannot be made resident, the device is put in error.
     */
    MUST_SUCCEED
}
