using Xunit;
using DriverSafety.Tests.Verification;

namespace DriverSafety.Tests.Locking;

/// <summary>
/// DRV1004 also when a lock is released in the other mode than it is held (<c>up_write</c> after <c>down_read</c>):
/// Clang's "releasing mutex using shared access, expected exclusive access".
/// </summary>
public sealed class ReleaseModeTests
{
    private const string Mm = """
        public sealed class Mm
        {
            public RwSemaphore MmapLock = new RwSemaphore();

        """;

    [Fact]
    public Task ExclusiveReleaseOfASharedHold() => Verify.Analyzer(Mm + """
            public void Walk()
            {
                {|#1:MmapLock.DownRead()|};
                {|#0:MmapLock.UpWrite()|};
            }
        }
        """,
        Verify.Diagnostic("DRV1004").WithLocation(0).WithLocation(1).WithMessage("Releasing lock 'MmapLock' that is not held exclusively (it is held shared)"));

    [Fact]
    public Task SharedReleaseOfAnExclusiveHold() => Verify.Analyzer(Mm + """
            public void Map()
            {
                {|#1:MmapLock.DownWrite()|};
                {|#0:MmapLock.UpRead()|};
            }
        }
        """,
        Verify.Diagnostic("DRV1004").WithLocation(0).WithLocation(1).WithMessage("Releasing lock 'MmapLock' that is not held shared (it is held exclusively)"));

    [Fact]
    public Task MatchingModesAreSilent() => Verify.Analyzer(Mm + """
            public void Both()
            {
                MmapLock.DownRead();
                MmapLock.UpRead();
                MmapLock.DownWrite();
                MmapLock.UpWrite();
            }
        }
        """);
}
