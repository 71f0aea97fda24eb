using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Engine;

/// <summary>
/// <c>f.X ??= v</c> assigns through the CFG's capture of the location <c>f.X</c>: the engine still sees a write of the
/// member (a guarded field written under a shared hold, a [NoReassign] member).
/// </summary>
public sealed class LocationCaptureWriteTests
{
    [Fact]
    public Task CoalesceAssignmentOfAGuardedFieldUnderASharedHoldIsAWrite() => Verify.Analyzer("""
        public sealed class Cache
        {
            private readonly RwSemaphore _sem = new RwSemaphore();
            [GuardedBy("_sem")] private object? _value;

            public object Get()
            {
                {|#1:_sem.DownRead()|};
                var value = {|#0:_value|} ??= new object();
                _sem.UpRead();
                return value;
            }
        }
        """,
        Verify.Diagnostic("DRV1001").WithLocation(0).WithLocation(1));
}
