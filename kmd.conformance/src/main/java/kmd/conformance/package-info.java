/**
 * The KMD conformance kit's service and its reports (see {@link kmd.conformance.ConformanceKit}).
 * Vendors call it from their own in-framework tests, or type {@code conformance:run DRIVER [ADAPTER]}.
 */
@Version("1.1.0")
@Export
package kmd.conformance;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
