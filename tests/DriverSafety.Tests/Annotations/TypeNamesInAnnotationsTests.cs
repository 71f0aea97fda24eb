using Xunit;
using DriverSafety.Tests.Verification;

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
    public Task StaticLockOfATypeImportedByAUsing() => Verify.Analyzer(Core,
        new VerifyOptions { ExtraDocuments = new[] { """
        using Drm.Core;

        namespace Drm.Gem
        {
            public sealed class Obj
            {
                [Requires("Device.StructMutex")] public void Locked() { }

                public void Caller()
                {
                    {|DRV1002:Locked()|};
                    Device.StructMutex.Lock();
                    Locked();
                    Device.StructMutex.Unlock();
                }
            }
        }
        """ } });

    [Fact]
    public Task StaticLockThroughAUsingAlias() => Verify.Analyzer(Core,
        new VerifyOptions { ExtraDocuments = new[] { """
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
        """ } });

    [Fact]
    public Task LockClassOfATypeImportedByAUsing() => Verify.Analyzer(Core,
        new VerifyOptions { ExtraDocuments = new[] { """
        using Drm.Core;

        namespace Drm.Gem
        {
            public sealed class Obj
            {
                [AcquiredAfter("Device.StructMutex")] public Mutex Lock = new Mutex();
            }
        }
        """ } });

    [Fact]
    public Task WithoutTheUsingTheTypeNamesNothing() => Verify.Analyzer(Core,
        new VerifyOptions { ExtraDocuments = new[] { """
        namespace Drm.Gem
        {
            public sealed class Obj
            {
                [{|DRV9001:Requires("Device.StructMutex")|}] public void Locked() { }
            }
        }
        """ } });
}
