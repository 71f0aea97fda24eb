using Xunit;
using Verifier = DriverSafety.Tests.Verification.Verify<DriverSafety.Analyzers.DriverSafetyAnalyzer>;

namespace DriverSafety.Tests.Annotations;

/// <summary>
/// A static lock <c>Type.Member</c> or a lock class names its type as the source at the attribute sees it: through the
/// usings, global usings and aliases in scope, not only the annotated member's own namespace.
/// </summary>
public sealed class TypeNamesInAnnotationsTests
{
    private const string Core = """
        namespace Drm.Core
        {
            public static class Device
            {
                public static readonly Mutex StructMutex = new Mutex();
            }
        }
        """;

    [Fact]
    public Task StaticLockOfATypeImportedByAUsing() => Verifier.VerifyAsync(new[]
    {
        Core,
        """
        using Drm.Core;

        namespace Drm.Gem
        {
            public sealed class Obj
            {
                [Requires("Device.StructMutex")] public void Locked() { }

                public void Caller()
                {
                    [|Locked()|];
                    Device.StructMutex.Lock();
                    Locked();
                    Device.StructMutex.Unlock();
                }
            }
        }
        """,
    }, "DRV1002");

    [Fact]
    public Task StaticLockThroughAUsingAlias() => Verifier.VerifyAsync(new[]
    {
        Core,
        """
        using Dev = Drm.Core.Device;

        namespace Drm.Gem
        {
            public sealed class Obj
            {
                [GuardedBy("Dev.StructMutex")] public static int Count;

                public static void Bump()
                {
                    Dev.StructMutex.Lock();
                    Count++;
                    Dev.StructMutex.Unlock();
                }
            }
        }
        """,
    });

    [Fact]
    public Task LockClassOfATypeImportedByAUsing() => Verifier.VerifyAsync(new[]
    {
        Core,
        """
        using Drm.Core;

        namespace Drm.Gem
        {
            public sealed class Obj
            {
                [AcquiredAfter("Device.StructMutex")] public Mutex Lock = new Mutex();
            }
        }
        """,
    });

    [Fact]
    public Task WithoutTheUsingTheTypeNamesNothing() => Verifier.VerifyAsync(new[]
    {
        Core,
        """
        namespace Drm.Gem
        {
            public sealed class Obj
            {
                [[|Requires("Device.StructMutex")|]] public void Locked() { }
            }
        }
        """,
    }, "DRV9001");
}
