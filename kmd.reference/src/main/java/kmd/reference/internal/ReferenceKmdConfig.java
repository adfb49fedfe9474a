package kmd.reference.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The caps the reference driver reports; settable so that tests can present every combination. */
@ObjectClassDefinition(name = "Reference KMD", description = "Caps reported by the reference kernel-mode driver.")
public @interface ReferenceKmdConfig {
    String PID = "kmd.reference";

    boolean virtualAddressingSupported() default true;

    boolean ioMmuSupported() default true;

    boolean gpuMmuSupported() default false;

    boolean ioMmuSecureModeSupported() default false;

    boolean ioMmuSecureModeRequired() default false;

    @AttributeDefinition(name = "Aperture commit limit (bytes)")
    long apertureSegmentCommitLimit() default 64L << 20;
}
