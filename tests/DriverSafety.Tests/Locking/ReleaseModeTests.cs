using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

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
    public Task ExclusiveReleaseOfASharedHold() => Verifier.Test(Mm + """
            public void Walk()
            {
                MmapLock.DownRead();
                [|MmapLock.UpWrite()|];
            }
        }
        """).WithId("DRV1004").WithMessageContaining("exclusively (it is held shared)").WithAdditionalLocationCount(1).RunAsync();

    [Fact]
    public Task SharedReleaseOfAnExclusiveHold() => Verifier.Test(Mm + """
            public void Map()
            {
                MmapLock.DownWrite();
                [|MmapLock.UpRead()|];
            }
        }
        """).WithId("DRV1004").WithMessageContaining("shared (it is held exclusively)").RunAsync();

    [Fact]
    public Task MatchingModesAreSilent() => Verifier.VerifyAsync(Mm + """
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
