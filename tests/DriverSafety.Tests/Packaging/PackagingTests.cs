using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using DriverSafety.Tests.Verification;
using Xunit;

namespace DriverSafety.Tests.Packaging
{
    /// <summary>
    /// The package as a user gets it (SPEC section 2): packed with <c>dotnet pack nuget -o DIR</c>, then consumed through
    /// one <c>PackageReference</c> from a local feed by a project that knows nothing of this repository.
    /// </summary>
    [Collection(PackagingCollection.Name)]
    public sealed class PackagingTests
    {
        private const string PackageId = "DriverSafety.Analyzers";
        private readonly PackedPackage _package;

        public PackagingTests(PackedPackage package) => _package = package;

        [Fact]
        public void Pack_writes_the_analyzers_and_the_annotations_and_no_dependencies()
        {
            var pack = _package.Pack();
            string packageFile = pack.AssertPackageWritten();

            using var zip = ZipFile.OpenRead(packageFile);
            var entries = zip.Entries.Select(e => e.FullName.Replace('\\', '/')).ToList();
            string listing = string.Join("\n", entries);

            Assert.True(entries.Contains("analyzers/dotnet/cs/DriverSafety.Analyzers.dll"), "analyzer assembly missing:\n" + listing);
            Assert.True(entries.Contains("lib/netstandard2.0/DriverSafety.Annotations.dll"), "annotations assembly missing:\n" + listing);
            Assert.True(entries.Contains("analyzers/dotnet/cs/DriverSafety.CodeFixes.dll"), "code-fix assembly missing:\n" + listing);

            var assemblies = entries.Where(e => e.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)).ToList();
            Assert.All(assemblies, a => Assert.True(
                a.StartsWith("analyzers/dotnet/cs/DriverSafety.", StringComparison.Ordinal) || a == "lib/netstandard2.0/DriverSafety.Annotations.dll",
                $"unexpected assembly '{a}' in the package (the compiler provides Roslyn; only our own assemblies belong here):\n{listing}"));
            Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal) && e != "lib/netstandard2.0/DriverSafety.Annotations.dll" && e != "lib/netstandard2.0/DriverSafety.Annotations.xml");

            var nuspecEntry = Assert.Single(zip.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.OrdinalIgnoreCase));
            XDocument nuspec;
            using (var stream = nuspecEntry.Open())
            {
                nuspec = XDocument.Load(stream);
            }

            string nuspecText = nuspec.ToString();
            var metadata = nuspec.Root!.Elements().Single(e => e.Name.LocalName == "metadata");
            string Meta(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value ?? "";

            Assert.Equal(PackageId, Meta("id"));
            Assert.Equal(_package.Version, Meta("version"));
            Assert.False(metadata.Elements().Any(e => e.Name.LocalName == "developmentDependency"),
                "a development dependency hides lib/ from the consumer's compilation:\n" + nuspecText);
            var dependencies = nuspec.Descendants().Where(e => e.Name.LocalName == "dependency").ToList();
            Assert.False(dependencies.Any(d => ((string?)d.Attribute("id") ?? "").StartsWith("Microsoft.CodeAnalysis", StringComparison.OrdinalIgnoreCase)),
                "the compiler provides Microsoft.CodeAnalysis; the package must not depend on it:\n" + nuspecText);
            Assert.True(dependencies.Count == 0, "the package must have no dependencies:\n" + nuspecText);

            var license = metadata.Elements().Single(e => e.Name.LocalName == "license");
            Assert.Equal("expression", (string?)license.Attribute("type"));
            Assert.Equal("MIT", license.Value);
            Assert.False(string.IsNullOrWhiteSpace(Meta("description")), nuspecText);
            Assert.False(string.IsNullOrWhiteSpace(Meta("tags")), nuspecText);
            string readme = Meta("readme");
            Assert.False(string.IsNullOrWhiteSpace(readme), nuspecText);
            Assert.Contains(readme, entries);
        }

        [Fact]
        public void Packed_assemblies_reference_no_compiler_newer_than_the_dotnet_8_SDK()
        {
            // A compiler older than the Roslyn an analyzer-folder assembly references ignores it with CS9057: the analyzer
            // and the code fixes are built against 4.8.0, so both load in the .NET 8 SDK and later.
            var pack = _package.Pack();
            using var zip = ZipFile.OpenRead(pack.AssertPackageWritten());
            var assemblies = zip.Entries.Where(e => e.FullName.Replace('\\', '/').StartsWith("analyzers/dotnet/cs/", StringComparison.Ordinal) && e.Name.EndsWith(".dll", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(assemblies);
            foreach (var entry in assemblies)
            {
                using var copy = new MemoryStream();
                using (var stream = entry.Open())
                {
                    stream.CopyTo(copy);
                }

                copy.Position = 0;
                using var pe = new System.Reflection.PortableExecutable.PEReader(copy);
                var metadata = System.Reflection.Metadata.PEReaderExtensions.GetMetadataReader(pe);
                var roslyn = metadata.AssemblyReferences
                    .Select(metadata.GetAssemblyReference)
                    .Where(r => metadata.GetString(r.Name).StartsWith("Microsoft.CodeAnalysis", StringComparison.Ordinal))
                    .ToList();
                Assert.NotEmpty(roslyn);
                foreach (var reference in roslyn)
                {
                    Assert.True(reference.Version <= new Version(4, 8, 0, 0), $"{entry.Name} references {metadata.GetString(reference.Name)} {reference.Version}, newer than the .NET 8 SDK's compiler (CS9057).");
                }
            }
        }

        [Fact]
        public void A_consumer_of_the_package_gets_the_attributes_and_the_findings()
        {
            var pack = _package.Pack();
            string packageFile = pack.AssertPackageWritten();

            var (consumer, sourceFile, packagesPath) = CreateConsumer(packageFile, "consumer", ConsumerSource);
            string sarif = Path.Combine(consumer, "errors.sarif");

            var build = ChildProcess.Run(_package.Dotnet, consumer,
                "build", "Consumer.csproj", "-nodeReuse:false", "/p:UseSharedCompilation=false", "-tl:off", "-v:minimal", $"/p:ErrorLog={sarif}%2Cversion=2.1");
            string log = build.Describe();

            Assert.True(build.ExitCode == 0, "the consumer does not build:\n" + log);
            foreach (var id in new[] { "CS9057", "CS8032", "AD0001" })
            {
                Assert.False(build.Output.Contains(id, StringComparison.Ordinal), $"{id} in the consumer's build (the analyzer did not load or crashed):\n{log}");
            }

            Assert.True(Directory.Exists(Path.Combine(packagesPath, PackageId.ToLowerInvariant(), _package.Version)),
                "the package was not restored from the local feed into the fresh packages folder:\n" + log);

            var expected = new[]
            {
                // SPEC section 5: DRV1001 at the member access, DRV1002 at the invocation.
                Expected("DRV1001", sourceFile, ConsumerSource, "_count++; // DRV1001"),
                Expected("DRV1002", sourceFile, ConsumerSource, "Reset(); // DRV1002"),
                // DRV2001 at the call that sleeps, through the helper's body.
                Expected("DRV2001", sourceFile, ConsumerSource, "Pause(); // DRV2001"),
                // DRV3005 at the invocation: the object's state is not proved.
                Expected("DRV3005", sourceFile, ConsumerSource, "obj.MmapNative(); // DRV3005"),
            }.OrderBy(s => s, StringComparer.Ordinal).ToArray(); // as DriverSafetyWarnings orders them
            var actual = DriverSafetyWarnings(build.Output);
            Assert.True(expected.SequenceEqual(actual),
                "expected exactly\n  " + string.Join("\n  ", expected) + "\nbut the consumer's build reported\n  " + string.Join("\n  ", actual) + "\n\n" + log);

            // The SARIF log as CI uploads it: each rule with its help link, DRV2001 with where the atomic context began.
            Assert.True(File.Exists(sarif), "no SARIF error log was written:\n" + log);
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(sarif));
            var run = document.RootElement.GetProperty("runs")[0];
            AssertRulesCarryHelpLinks(run, new[] { "DRV1001", "DRV1002", "DRV2001", "DRV3005" });
            var sleep = Assert.Single(run.GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "DRV2001");
            Assert.Equal(LineOf(ConsumerSource, "Pause(); // DRV2001"), SarifLine(sleep.GetProperty("locations")[0]));
            Assert.Equal(new[] { LineOf(ConsumerSource, "_lock.Lock();") }, sleep.GetProperty("relatedLocations").EnumerateArray().Select(SarifLine).ToArray());
        }

        /// <summary>
        /// The SARIF run describes each DRV rule it reports (<paramref name="reported"/> and any other, such as an Info
        /// DRV9003) in <c>tool.driver.rules</c> with <c>helpUri</c> the descriptor's help link, the rule's page
        /// docs/rules/DRVnnnn.md (SPEC §5), which exists.
        /// </summary>
        private static void AssertRulesCarryHelpLinks(System.Text.Json.JsonElement run, string[] reported)
        {
            var ruleIds = run.GetProperty("results").EnumerateArray().Select(r => r.GetProperty("ruleId").GetString()!)
                .Where(id => id.StartsWith("DRV", StringComparison.Ordinal)).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToArray();
            Assert.Subset(ruleIds.ToHashSet(StringComparer.Ordinal), reported.ToHashSet(StringComparer.Ordinal));

            var rules = run.GetProperty("tool").GetProperty("driver").GetProperty("rules").EnumerateArray()
                .ToLookup(r => r.GetProperty("id").GetString()!, StringComparer.Ordinal);
            var descriptors = new DriverSafety.Analyzers.DriverSafetyAnalyzer().SupportedDiagnostics;
            foreach (var id in ruleIds)
            {
                var descriptor = Assert.Single(descriptors, d => d.Id == id);
                Assert.Equal(DriverSafety.Analyzers.Descriptors.HelpLinkBase + id + ".md", descriptor.HelpLinkUri);
                Assert.True(File.Exists(Path.Combine(Repository.Root, "docs", "rules", id + ".md")), $"the help link of {id} names a page the repository lacks");
                Assert.True(rules[id].Any(), $"the SARIF run reports {id} but does not describe it in tool.driver.rules");
                foreach (var rule in rules[id])
                {
                    Assert.True(rule.TryGetProperty("helpUri", out var helpUri), $"the SARIF rule {id} has no helpUri:\n{rule}");
                    Assert.Equal(descriptor.HelpLinkUri, helpUri.GetString());
                }
            }
        }

        private static int SarifLine(System.Text.Json.JsonElement location) =>
            location.GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32();

        /// <summary>
        /// External annotations end to end: the consumer references a library project without a single DriverSafety
        /// attribute and gives its contracts in DriverSafety.Annotations.txt (AdditionalFiles). The build reports the
        /// findings those contracts make at their lines of the consumer, and a DRV9005 at the bad line of the file.
        /// </summary>
        [Fact]
        public void A_consumer_annotates_a_referenced_library_in_DriverSafety_Annotations_txt()
        {
            var pack = _package.Pack();
            string packageFile = pack.AssertPackageWritten();

            var (consumer, sourceFile, packagesPath) = CreateConsumer(packageFile, "external", ExternalConsumerSource);
            string vendor = Path.Combine(consumer, "Vendor");
            Directory.CreateDirectory(vendor);
            File.WriteAllText(Path.Combine(vendor, "Vendor.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <OutputType>Library</OutputType>
                    <ImplicitUsings>disable</ImplicitUsings>
                    <Nullable>disable</Nullable>
                    <RestorePackagesPath>{Escape(packagesPath)}</RestorePackagesPath>
                    <NuGetAudit>false</NuGetAudit>
                  </PropertyGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(vendor, "Hw.cs"), ExternalVendorSource);
            string annotations = Path.Combine(consumer, "DriverSafety.Annotations.txt");
            File.WriteAllText(annotations, ExternalAnnotationsText);
            string project = Path.Combine(consumer, "Consumer.csproj");
            File.WriteAllText(project, File.ReadAllText(project).Replace("</Project>", """
                  <ItemGroup>
                    <Compile Remove="Vendor/**" />
                    <ProjectReference Include="Vendor/Vendor.csproj" />
                    <AdditionalFiles Include="DriverSafety.Annotations.txt" />
                  </ItemGroup>
                </Project>
                """, StringComparison.Ordinal));

            var build = ChildProcess.Run(_package.Dotnet, consumer,
                "build", "Consumer.csproj", "-nodeReuse:false", "/p:UseSharedCompilation=false", "-tl:off", "-v:minimal");
            string log = build.Describe();

            Assert.True(build.ExitCode == 0, "the consumer does not build:\n" + log);
            foreach (var id in new[] { "CS9057", "CS8032", "AD0001" })
            {
                Assert.False(build.Output.Contains(id, StringComparison.Ordinal), $"{id} in the consumer's build (the analyzer did not load or crashed):\n{log}");
            }

            var expected = new[]
            {
                Expected("DRV1002", sourceFile, ExternalConsumerSource, "_ring.Push(item); // DRV1002"),
                Expected("DRV2001", sourceFile, ExternalConsumerSource, "Device.Reset(1); // DRV2001"),
                Expected("DRV9005", annotations, ExternalAnnotationsText, "M:Vendor.Hw.Device.Reset(int) [MightSleep]"),
            }.OrderBy(s => s, StringComparer.Ordinal).ToArray();
            var actual = DriverSafetyWarnings(build.Output);
            Assert.True(expected.SequenceEqual(actual),
                "expected exactly\n  " + string.Join("\n  ", expected) + "\nbut the consumer's build reported\n  " + string.Join("\n  ", actual) + "\n\n" + log);
            Assert.Contains("DriverSafety.Annotations.txt line 7: 'M:Vendor.Hw.Device.Reset(int)' does not resolve to a member of this compilation or its references", build.Output, StringComparison.Ordinal);
        }

        private const string ExternalVendorSource = """
            namespace Vendor.Hw
            {
                public sealed class HwLock
                {
                    public void Lock() { }
                    public void Unlock() { }
                }

                public sealed class Item
                {
                }

                public sealed class Ring
                {
                    public readonly HwLock Lock = new HwLock();
                    public void Push(Item item) { }
                }

                public static class Device
                {
                    public static void Reset(int how) { }
                }
            }

            """;

        private const string ExternalAnnotationsText = """
            # Vendor.Hw ships without DriverSafety attributes: its contracts, one member per line.
            T:Vendor.Hw.HwLock [LockType(LockKind.Spinning)]
            M:Vendor.Hw.HwLock.Lock [Acquires]
            M:Vendor.Hw.HwLock.Unlock [Releases]
            M:Vendor.Hw.Ring.Push(Vendor.Hw.Item) [Requires("this.Lock")]
            M:Vendor.Hw.Device.Reset(System.Int32) [MightSleep]
            M:Vendor.Hw.Device.Reset(int) [MightSleep]

            """;

        private const string ExternalConsumerSource = """
            using Vendor.Hw;

            namespace Consumer
            {
                public sealed class Driver
                {
                    private readonly Ring _ring = new Ring();

                    public void Submit(Item item)
                    {
                        _ring.Lock.Lock();
                        _ring.Push(item);
                        _ring.Lock.Unlock();
                    }

                    public void Forgot(Item item)
                    {
                        _ring.Push(item); // DRV1002
                    }

                    public void Sleepy()
                    {
                        _ring.Lock.Lock();
                        Device.Reset(1); // DRV2001
                        _ring.Lock.Unlock();
                    }
                }
            }

            """;

        /// <summary>
        /// A lock-order cycle is a compilation-end finding (DRV1007, SPEC §5): it must appear in a command-line build of a
        /// consumer of the package, and in its SARIF error log with the other acquisition of the cycle as a related location.
        /// </summary>
        [Fact]
        public void A_consumer_build_reports_a_lock_order_cycle_in_the_log_and_in_SARIF()
        {
            var pack = _package.Pack();
            string packageFile = pack.AssertPackageWritten();

            var (consumer, sourceFile, _) = CreateConsumer(packageFile, "lockorder", LockOrderConsumerSource);
            string sarif = Path.Combine(consumer, "errors.sarif");

            // A comma separates MSBuild properties: the error log's version is passed escaped.
            var build = ChildProcess.Run(_package.Dotnet, consumer,
                "build", "Consumer.csproj", "-nodeReuse:false", "/p:UseSharedCompilation=false", "-tl:off", "-v:minimal", $"/p:ErrorLog={sarif}%2Cversion=2.1");
            string log = build.Describe();

            Assert.True(build.ExitCode == 0, "the consumer does not build:\n" + log);
            var expected = new[]
            {
                Expected("DRV1007", sourceFile, LockOrderConsumerSource, "Evict(); // DRV1007"),
                Expected("DRV1008", sourceFile, LockOrderConsumerSource, "Slab.Kmalloc(4096, Gfp.Kernel); // DRV1008"),
            };
            var actual = DriverSafetyWarnings(build.Output);
            Assert.True(expected.SequenceEqual(actual),
                "expected exactly\n  " + string.Join("\n  ", expected) + "\nbut the consumer's build reported\n  " + string.Join("\n  ", actual) + "\n\n" + log);

            Assert.True(File.Exists(sarif), "no SARIF error log was written:\n" + log);
            using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllText(sarif));
            AssertRulesCarryHelpLinks(document.RootElement.GetProperty("runs")[0], new[] { "DRV1007", "DRV1008" });
            var results = document.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray()
                .Where(r => r.GetProperty("ruleId").GetString() == "DRV1007").ToList();
            var result = Assert.Single(results);
            Assert.StartsWith("Lock-order inversion: lock classes Drm.StructMutex → Drm.MmapLock → Drm.StructMutex", result.GetProperty("message").GetProperty("text").GetString(), StringComparison.Ordinal);
            int Line(System.Text.Json.JsonElement location) =>
                location.GetProperty("physicalLocation").GetProperty("region").GetProperty("startLine").GetInt32();
            Assert.Equal(LineOf(LockOrderConsumerSource, "Evict(); // DRV1007"), Line(result.GetProperty("locations")[0]));
            var related = result.GetProperty("relatedLocations").EnumerateArray().Select(Line).ToArray();
            Assert.Equal(new[] { LineOf(LockOrderConsumerSource, "PinPages(); // the other order") }, related);

            // DRV1008, also at compilation end: the held lock's acquire and the notifier's acquisition as related locations.
            var reclaim = Assert.Single(document.RootElement.GetProperty("runs")[0].GetProperty("results").EnumerateArray(), r => r.GetProperty("ruleId").GetString() == "DRV1008");
            Assert.Equal(LineOf(LockOrderConsumerSource, "Slab.Kmalloc(4096, Gfp.Kernel); // DRV1008"), Line(reclaim.GetProperty("locations")[0]));
            Assert.Equal(
                new[] { LineOf(LockOrderConsumerSource, "StructMutex.Lock(); // held"), LineOf(LockOrderConsumerSource, "StructMutex.Lock(); // in reclaim") },
                reclaim.GetProperty("relatedLocations").EnumerateArray().Select(Line).ToArray());
        }

        private static int LineOf(string source, string marker) => 1 + source.Take(source.IndexOf(marker, StringComparison.Ordinal)).Count(c => c == '\n');

        /// <summary>mmap_sem and struct_mutex taken in both orders, each time through a helper: one DRV1007.</summary>
        private const string LockOrderConsumerSource = """
            using DriverSafety;

            namespace Consumer
            {
                [LockType(LockKind.Sleeping)]
                public sealed class Mutex
                {
                    [Acquires] public void Lock() { }
                    [Releases] public void Unlock() { }
                }

                public static class Drm
                {
                    public static readonly Mutex StructMutex = new Mutex();
                    public static readonly Mutex MmapLock = new Mutex();

                    private static void Evict()
                    {
                        MmapLock.Lock();
                        MmapLock.Unlock();
                    }

                    private static void PinPages()
                    {
                        StructMutex.Lock();
                        StructMutex.Unlock();
                    }

                    public static void Ioctl()
                    {
                        StructMutex.Lock();
                        Evict(); // DRV1007
                        StructMutex.Unlock();
                    }

                    public static void Fault()
                    {
                        MmapLock.Lock();
                        PinPages(); // the other order
                        MmapLock.Unlock();
                    }

                    public static void GetPages()
                    {
                        StructMutex.Lock(); // held
                        Slab.Kmalloc(4096, Gfp.Kernel); // DRV1008
                        StructMutex.Unlock();
                    }
                }

                [System.Flags, AllocationFlags]
                public enum Gfp : uint
                {
                    None = 0,
                    [MaySleepFlag] DirectReclaim = 1,
                    [ReclaimFlag] Io = 2,
                    [ReclaimFlag] Fs = 4,
                    Kernel = DirectReclaim | Io | Fs,
                    NoIo = DirectReclaim,
                }

                public static class Slab
                {
                    [Allocates("gfp")] public static byte[] Kmalloc(int size, Gfp gfp) => new byte[size];
                }

                public interface INotifier
                {
                    [ReclaimContext] int Invalidate(long start);
                }

                public sealed class UserptrNotifier : INotifier
                {
                    public int Invalidate(long start)
                    {
                        Drm.StructMutex.Lock(); // in reclaim
                        Drm.StructMutex.Unlock();
                        return 0;
                    }
                }
            }

            """;

        /// <summary>
        /// <c>dotnet format analyzers --diagnostics DRV1002</c> on a consumer of the package runs the packed code fixes'
        /// Fix All: the call made without its lock gets the lock taken around it ("Add [Requires]" is not offered on a
        /// public method, whose callers are not in the compilation), and the fixed consumer builds without a finding.
        /// </summary>
        [Fact]
        public void Dotnet_format_fixes_a_consumer_with_the_packed_code_fixes()
        {
            var pack = _package.Pack();
            string packageFile = pack.AssertPackageWritten();
            var (consumer, sourceFile, _) = CreateConsumer(packageFile, "format-consumer", FormatConsumerSource);

            var format = ChildProcess.Run(_package.Dotnet, consumer,
                "format", "analyzers", "Consumer.csproj", "--diagnostics", "DRV1002", "--severity", "warn", "-v", "diag");
            Assert.True(format.ExitCode == 0, "dotnet format analyzers failed:\n" + format.Describe());
            Assert.True(FormatConsumerFixed == File.ReadAllText(sourceFile), "dotnet format did not fix the call as expected:\n" + File.ReadAllText(sourceFile) + "\n" + format.Describe());

            var build = ChildProcess.Run(_package.Dotnet, consumer,
                "build", "Consumer.csproj", "--no-restore", "-nodeReuse:false", "/p:UseSharedCompilation=false", "-tl:off", "-v:minimal");
            Assert.True(build.ExitCode == 0, "the fixed consumer does not build:\n" + build.Describe());
            Assert.True(DriverSafetyWarnings(build.Output).Count == 0, "the fixed consumer still has findings:\n" + build.Describe());
        }

        /// <summary>
        /// <c>dotnet format analyzers</c> with the execution-context and lifetime fixes: a sleeping allocation under a
        /// spinlock gets non-sleeping flags (DRV2001), a coherent buffer leaked on an error path is freed there with the
        /// allocation's arguments (DRV3001), the mmap of a possibly imported object gets its guard (DRV3005), and a
        /// public method that sleeps is declared [MightSleep] (DRV9003, Info); the fixed consumer builds without a finding.
        /// </summary>
        [Fact]
        public void Dotnet_format_applies_the_context_and_lifetime_fixes()
        {
            var pack = _package.Pack();
            string packageFile = pack.AssertPackageWritten();
            var (consumer, sourceFile, _) = CreateConsumer(packageFile, "format-families", FamiliesConsumerSource);

            // One rule per run: dotnet format computes the findings of every rule it is given once, then fixes rule by rule,
            // so a fix that moves code leaves the next rule's findings pointing at old text ("Unable to fix ...").
            var log = new System.Text.StringBuilder();
            foreach (var id in new[] { "DRV2001", "DRV3001", "DRV3005", "DRV9003" })
            {
                var format = ChildProcess.Run(_package.Dotnet, consumer,
                    "format", "analyzers", "Consumer.csproj", "--diagnostics", id, "--severity", "info", "-v", "diag");
                log.AppendLine(format.Describe());
                Assert.True(format.ExitCode == 0, "dotnet format analyzers failed:\n" + format.Describe());
                Assert.DoesNotContain("Unable to fix", format.Describe(), StringComparison.Ordinal);
            }

            Assert.True(FamiliesConsumerFixed == File.ReadAllText(sourceFile), "dotnet format did not fix the findings as expected:\n" + File.ReadAllText(sourceFile) + "\n" + log);

            var build = ChildProcess.Run(_package.Dotnet, consumer,
                "build", "Consumer.csproj", "--no-restore", "-nodeReuse:false", "/p:UseSharedCompilation=false", "-tl:off", "-v:minimal");
            Assert.True(build.ExitCode == 0, "the fixed consumer does not build:\n" + build.Describe());
            Assert.True(DriverSafetyWarnings(build.Output).Count == 0, "the fixed consumer still has findings:\n" + build.Describe());
        }

        /// <summary>
        /// The lock fixes through <c>dotnet format analyzers</c>, one rule per run: a private helper that reads a guarded
        /// field its only caller reads under the lock gets <c>[Requires]</c> (DRV1001), a lock left held on an early return is
        /// released there (DRV1003), a reclaiming allocation under a lock an MMU notifier takes gets <c>Gfp.NoIo</c>
        /// (DRV1008, a compilation-end finding), and a misspelled lock name is corrected (DRV9001).
        /// </summary>
        [Fact]
        public void Dotnet_format_applies_the_lock_fixes()
        {
            var pack = _package.Pack();
            string packageFile = pack.AssertPackageWritten();
            var (consumer, sourceFile, _) = CreateConsumer(packageFile, "format-locks", LockFixesConsumerSource);

            var log = new System.Text.StringBuilder();
            foreach (var id in new[] { "DRV1001", "DRV1003", "DRV1008", "DRV9001" })
            {
                var format = ChildProcess.Run(_package.Dotnet, consumer,
                    "format", "analyzers", "Consumer.csproj", "--diagnostics", id, "--severity", "warn", "-v", "diag");
                log.AppendLine(format.Describe());
                Assert.True(format.ExitCode == 0, "dotnet format analyzers failed:\n" + format.Describe());
                Assert.DoesNotContain("Unable to fix", format.Describe(), StringComparison.Ordinal);
            }

            Assert.True(LockFixesConsumerFixed == File.ReadAllText(sourceFile), "dotnet format did not fix the findings as expected:\n" + File.ReadAllText(sourceFile) + "\n" + log);

            var build = ChildProcess.Run(_package.Dotnet, consumer,
                "build", "Consumer.csproj", "--no-restore", "-nodeReuse:false", "/p:UseSharedCompilation=false", "-tl:off", "-v:minimal");
            Assert.True(build.ExitCode == 0, "the fixed consumer does not build:\n" + build.Describe());
            Assert.True(DriverSafetyWarnings(build.Output).Count == 0, "the fixed consumer still has findings:\n" + build.Describe());
        }

        private const string LockFixesConsumerSource = """
            using DriverSafety;

            namespace Consumer
            {
                [LockType(LockKind.Sleeping)]
                public sealed class Mutex
                {
                    [Acquires] public void Lock() { }
                    [Releases] public void Unlock() { }
                }

                [System.Flags, AllocationFlags]
                public enum Gfp : uint
                {
                    None = 0,
                    [MaySleepFlag] DirectReclaim = 1,
                    KswapdReclaim = 2,
                    [ReclaimFlag] Io = 4,
                    Kernel = DirectReclaim | KswapdReclaim | Io,
                    NoIo = DirectReclaim | KswapdReclaim,
                }

                public static class Slab
                {
                    [Allocates("gfp")] public static byte[] Kmalloc(int size, Gfp gfp) => new byte[size];
                }

                public interface INotifier
                {
                    [ReclaimContext] int Invalidate(long start);
                }

                public sealed class Gem : INotifier
                {
                    public readonly Mutex Lock = new Mutex();
                    [GuardedBy("Lock")] private int _pages;

                    [MightSleep]
                    public int Invalidate(long start)
                    {
                        Lock.Lock();
                        _pages = 0;
                        Lock.Unlock();
                        return 0;
                    }

                    [MightSleep]
                    public void GetPages()
                    {
                        Lock.Lock();
                        Slab.Kmalloc(4096, Gfp.Kernel);
                        _pages++;
                        Lock.Unlock();
                    }

                    [MightSleep]
                    public int Count(bool busy)
                    {
                        Lock.Lock();
                        if (busy)
                        {
                            return -16;
                        }

                        var pages = Peek();
                        Lock.Unlock();
                        return pages;
                    }

                    private int Peek() => _pages;

                    [Requires("Lok")]
                    private void Reset()
                    {
                    }
                }
            }
            """;

        private const string LockFixesConsumerFixed = """
            using DriverSafety;

            namespace Consumer
            {
                [LockType(LockKind.Sleeping)]
                public sealed class Mutex
                {
                    [Acquires] public void Lock() { }
                    [Releases] public void Unlock() { }
                }

                [System.Flags, AllocationFlags]
                public enum Gfp : uint
                {
                    None = 0,
                    [MaySleepFlag] DirectReclaim = 1,
                    KswapdReclaim = 2,
                    [ReclaimFlag] Io = 4,
                    Kernel = DirectReclaim | KswapdReclaim | Io,
                    NoIo = DirectReclaim | KswapdReclaim,
                }

                public static class Slab
                {
                    [Allocates("gfp")] public static byte[] Kmalloc(int size, Gfp gfp) => new byte[size];
                }

                public interface INotifier
                {
                    [ReclaimContext] int Invalidate(long start);
                }

                public sealed class Gem : INotifier
                {
                    public readonly Mutex Lock = new Mutex();
                    [GuardedBy("Lock")] private int _pages;

                    [MightSleep]
                    public int Invalidate(long start)
                    {
                        Lock.Lock();
                        _pages = 0;
                        Lock.Unlock();
                        return 0;
                    }

                    [MightSleep]
                    public void GetPages()
                    {
                        Lock.Lock();
                        Slab.Kmalloc(4096, Gfp.NoIo);
                        _pages++;
                        Lock.Unlock();
                    }

                    [MightSleep]
                    public int Count(bool busy)
                    {
                        Lock.Lock();
                        if (busy)
                        {
                            Lock.Unlock();
                            return -16;
                        }

                        var pages = Peek();
                        Lock.Unlock();
                        return pages;
                    }

                    [Requires("Lock")]
                    private int Peek() => _pages;

                    [Requires("Lock")]
                    private void Reset()
                    {
                    }
                }
            }
            """;

        private const string FamiliesCore = """
            using DriverSafety;

            namespace Consumer
            {
                [LockType(LockKind.Spinning)]
                public sealed class SpinLock
                {
                    [Acquires] public void Lock() { }
                    [Releases] public void Unlock() { }
                }

                [System.Flags, AllocationFlags]
                public enum Gfp : uint
                {
                    None = 0,
                    [MaySleepFlag] DirectReclaim = 1,
                    KswapdReclaim = 2,
                    [ReclaimFlag] Io = 4,
                    Kernel = DirectReclaim | KswapdReclaim | Io,
                    Atomic = KswapdReclaim,
                }

                public static class Slab
                {
                    [Allocates("gfp")] public static byte[] Kmalloc(int size, Gfp gfp) => new byte[size];
                    [MightSleep] public static void Msleep(int ms) { }
                }

                public sealed class Device { }

                public static class Dma
                {
                    [Begins("coherent", Target = "return", When = ReturnIs.NonNull, Handle = "handle")]
                    public static byte[] AllocCoherent(Device dev, int size, out ulong handle) { handle = 1; return new byte[size]; }

                    [Ends("coherent", Target = "cpuAddr", Match = "dev,size,handle")]
                    public static void FreeCoherent(Device dev, int size, byte[] cpuAddr, ulong handle) { }
                }

                public sealed class GemObject
                {
                    [StateTest("imported")] public object ImportAttach { get; set; }
                    [RequiresNotState("imported")] public int Mmap() => 0;
                }

            """;

        private const string FamiliesConsumerSource = FamiliesCore + """
                public static class Driver
                {
                    private static readonly SpinLock Lock = new SpinLock();

                    public static void Fill()
                    {
                        Lock.Lock();
                        Slab.Kmalloc(64, Gfp.Kernel);
                        Lock.Unlock();
                    }

                    public static int Probe(Device dev, bool bad)
                    {
                        var buf = Dma.AllocCoherent(dev, 4096, out var handle);
                        if (buf == null)
                            return -12;
                        if (bad)
                            return -22;
                        Dma.FreeCoherent(dev, 4096, buf, handle);
                        return 0;
                    }

                    public static int Mmap(GemObject obj)
                    {
                        if (obj == null)
                        {
                            return -22;
                        }

                        var ret = obj.Mmap();
                        return ret;
                    }

                    public static void Wait() => Slab.Msleep(1);
                }
            }

            """;

        private const string FamiliesConsumerFixed = FamiliesCore + """
                public static class Driver
                {
                    private static readonly SpinLock Lock = new SpinLock();

                    public static void Fill()
                    {
                        Lock.Lock();
                        Slab.Kmalloc(64, Gfp.Atomic);
                        Lock.Unlock();
                    }

                    public static int Probe(Device dev, bool bad)
                    {
                        var buf = Dma.AllocCoherent(dev, 4096, out var handle);
                        if (buf == null)
                            return -12;
                        if (bad)
                        {
                            Dma.FreeCoherent(dev, 4096, buf, handle);
                            return -22;
                        }
                        Dma.FreeCoherent(dev, 4096, buf, handle);
                        return 0;
                    }

                    public static int Mmap(GemObject obj)
                    {
                        if (obj == null)
                        {
                            return -22;
                        }

                        if (obj.ImportAttach != null)
                        {
                            return -22;
                        }

                        var ret = obj.Mmap();
                        return ret;
                    }

                    [MightSleep]
                    public static void Wait() => Slab.Msleep(1);
                }
            }

            """;

        /// <summary>
        /// The presets and severities as a CI build meets them: <c>&lt;DriverSafetyMode&gt;strict&lt;/DriverSafetyMode&gt;</c>
        /// makes every finding an error and fails the build; the project's <c>.editorconfig</c> still decides per rule over
        /// the preset (<c>none</c> silences one, <c>error</c> fails the build without the preset); and
        /// <c>TreatWarningsAsErrors</c> fails the build on the default (recommended) preset.
        /// </summary>
        [Fact]
        public void Presets_and_severities_decide_whether_the_build_fails()
        {
            var pack = _package.Pack();
            string packageFile = pack.AssertPackageWritten();
            var (consumer, sourceFile, _) = CreateConsumer(packageFile, "presets", ConsumerSource);
            string project = Path.Combine(consumer, "Consumer.csproj");
            string original = File.ReadAllText(project);
            ChildProcess.Result Build(params string[] extra) => ChildProcess.Run(_package.Dotnet, consumer,
                new[] { "build", "Consumer.csproj", "--no-incremental", "-nodeReuse:false", "/p:UseSharedCompilation=false", "-tl:off", "-v:minimal" }.Concat(extra).ToArray());

            // Strict: every DRV finding is an error.
            File.WriteAllText(project, original.Replace("<NuGetAudit>false</NuGetAudit>", "<NuGetAudit>false</NuGetAudit><DriverSafetyMode>strict</DriverSafetyMode>", StringComparison.Ordinal));
            var strict = Build();
            Assert.True(strict.ExitCode != 0, "the strict preset did not fail the build:\n" + strict.Describe());
            Assert.Contains("error DRV1001", strict.Output, StringComparison.Ordinal);
            Assert.Contains("error DRV2001", strict.Output, StringComparison.Ordinal);

            // Strict, with the project's .editorconfig silencing each rule the consumer breaks: the build passes.
            var broken = System.Text.RegularExpressions.Regex.Matches(strict.Output, @"error (DRV\d{4})").Select(m => m.Groups[1].Value).Distinct().OrderBy(id => id, StringComparer.Ordinal).ToList();
            File.WriteAllText(Path.Combine(consumer, ".editorconfig"),
                "root = true\n[*.cs]\n" + string.Concat(broken.Select(id => $"dotnet_diagnostic.{id}.severity = none\n")));
            var silenced = Build();
            Assert.True(silenced.ExitCode == 0, "an .editorconfig severity of none did not override the strict preset:\n" + silenced.Describe());
            Assert.DoesNotContain("DRV1001", silenced.Output, StringComparison.Ordinal);

            // Recommended (the default), one rule raised to error by .editorconfig: that rule fails the build, the others warn.
            File.WriteAllText(project, original);
            File.WriteAllText(Path.Combine(consumer, ".editorconfig"), "root = true\n[*.cs]\ndotnet_diagnostic.DRV1002.severity = error\n");
            var raised = Build();
            Assert.True(raised.ExitCode != 0, "an .editorconfig severity of error did not fail the build:\n" + raised.Describe());
            Assert.Contains("error DRV1002", raised.Output, StringComparison.Ordinal);
            Assert.Contains("warning DRV1001", raised.Output, StringComparison.Ordinal);

            // Recommended, warnings as errors (a CI build): fails on the warnings.
            File.Delete(Path.Combine(consumer, ".editorconfig"));
            var ci = Build("-p:TreatWarningsAsErrors=true");
            Assert.True(ci.ExitCode != 0, "TreatWarningsAsErrors did not fail the build on DriverSafety warnings:\n" + ci.Describe());
            Assert.Contains("error DRV1001", ci.Output, StringComparison.Ordinal);
        }

        /// <summary>
        /// A throw-away project in the folder <paramref name="name"/> of the work folder, with <paramref name="source"/> as
        /// Counter.cs and one PackageReference to the package. Nothing from the machine may leak in: no Directory.Build.*
        /// above the project, only the local feed (the folder of <paramref name="packageFile"/>), and a fresh
        /// global-packages folder so that a stale cached copy of this version is never used.
        /// </summary>
        private (string Folder, string SourceFile, string PackagesPath) CreateConsumer(string packageFile, string name, string source) =>
            CreateConsumer(_package, packageFile, name, source);

        /// <inheritdoc cref="CreateConsumer(string, string, string)"/>
        internal static (string Folder, string SourceFile, string PackagesPath) CreateConsumer(PackedPackage package, string packageFile, string name, string source)
        {
            string consumer = Path.Combine(package.WorkDirectory, name);
            string feed = Path.GetDirectoryName(packageFile)!;
            string packagesPath = Path.Combine(package.WorkDirectory, name + "-packages");
            Directory.CreateDirectory(consumer);

            File.WriteAllText(Path.Combine(consumer, "Directory.Build.props"), "<Project />\n");
            File.WriteAllText(Path.Combine(consumer, "Directory.Build.targets"), "<Project />\n");
            File.WriteAllText(Path.Combine(consumer, "Directory.Packages.props"), "<Project />\n");
            File.WriteAllText(Path.Combine(consumer, "NuGet.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="driversafety-local" value="{Escape(feed)}" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <clear />
                  </fallbackPackageFolders>
                  <disabledPackageSources>
                    <clear />
                  </disabledPackageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <OutputType>Library</OutputType>
                    <ImplicitUsings>disable</ImplicitUsings>
                    <Nullable>disable</Nullable>
                    <TreatWarningsAsErrors>false</TreatWarningsAsErrors>
                    <RestorePackagesPath>{Escape(packagesPath)}</RestorePackagesPath>
                    <NuGetAudit>false</NuGetAudit>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="{PackageId}" Version="{package.Version}" />
                  </ItemGroup>
                </Project>
                """);

            string sourceFile = Path.Combine(consumer, "Counter.cs");
            File.WriteAllText(sourceFile, source);
            return (consumer, sourceFile, packagesPath);
        }

        /// <summary>
        /// A Mutex lock type, a counter guarded by it, correct uses (which must stay silent) and exactly three bugs:
        /// an unguarded write (DRV1001), a [Requires] call without the lock (DRV1002) and a [RequiresNotState] call on an
        /// object whose state is not proved (DRV3005).
        /// </summary>
        private const string ConsumerSource = """
            using DriverSafety;

            namespace Consumer
            {
                [LockType(LockKind.Sleeping)]
                public sealed class Mutex
                {
                    [Acquires] public void Lock() { }
                    [Releases] public void Unlock() { }
                }

                public sealed class Counter
                {
                    public readonly Mutex Lock = new Mutex();
                    [GuardedBy("Lock")] private int _count;

                    [Requires("Lock")]
                    public void Reset()
                    {
                        _count = 0;
                    }

                    public void BumpLocked()
                    {
                        Lock.Lock();
                        try
                        {
                            _count++;
                        }
                        finally
                        {
                            Lock.Unlock();
                        }
                    }

                    public void ResetLocked()
                    {
                        Lock.Lock();
                        Reset();
                        Lock.Unlock();
                    }

                    public void Bump()
                    {
                        _count++; // DRV1001
                    }

                    public void Clear()
                    {
                        Reset(); // DRV1002
                    }
                }

                [LockType(LockKind.Spinning)]
                public sealed class SpinLock
                {
                    [Acquires] public void Lock() { }
                    [Releases] public void Unlock() { }
                }

                public sealed class Poller
                {
                    private readonly SpinLock _lock = new SpinLock();

                    [MightSleep]
                    private static void Msleep() => System.Threading.Thread.Sleep(1);

                    private static void Pause() => Msleep();

                    public void Poll()
                    {
                        _lock.Lock();
                        Pause(); // DRV2001
                        _lock.Unlock();
                    }
                }

                public sealed class Gem
                {
                    [StateTest("imported")] public object Attach;

                    [RequiresNotState("imported")]
                    public int MmapNative()
                    {
                        return 0;
                    }

                    public int MmapChecked()
                    {
                        if (Attach != null)
                            return -22;
                        return MmapNative();
                    }

                    public static int Mmap(Gem obj)
                    {
                        return obj.MmapNative(); // DRV3005
                    }
                }
            }

            """;

        /// <summary>A public method calling a [Requires] method without its lock: the one DRV1002 dotnet format fixes.</summary>
        private const string FormatConsumerSource = """
            using DriverSafety;

            namespace Consumer
            {
                [LockType(LockKind.Sleeping)]
                public sealed class Mutex
                {
                    [Acquires] public void Lock() { }
                    [Releases] public void Unlock() { }
                }

                public sealed class Counter
                {
                    public readonly Mutex Lock = new Mutex();
                    [GuardedBy("Lock")] private int _count;

                    [Requires("Lock")]
                    public void Reset()
                    {
                        _count = 0;
                    }

                    public void Clear()
                    {
                        Reset();
                    }
                }
            }

            """;

        private const string FormatConsumerFixed = """
            using DriverSafety;

            namespace Consumer
            {
                [LockType(LockKind.Sleeping)]
                public sealed class Mutex
                {
                    [Acquires] public void Lock() { }
                    [Releases] public void Unlock() { }
                }

                public sealed class Counter
                {
                    public readonly Mutex Lock = new Mutex();
                    [GuardedBy("Lock")] private int _count;

                    [Requires("Lock")]
                    public void Reset()
                    {
                        _count = 0;
                    }

                    public void Clear()
                    {
                        Lock.Lock();
                        try
                        {
                            Reset();
                        }
                        finally
                        {
                            Lock.Unlock();
                        }
                    }
                }
            }

            """;

        private static string Escape(string path) => System.Security.SecurityElement.Escape(path);

        private static string Expected(string id, string file, string source, string marker)
        {
            int index = source.IndexOf(marker, StringComparison.Ordinal);
            if (index < 0 || source.IndexOf(marker, index + 1, StringComparison.Ordinal) >= 0)
            {
                throw new InvalidOperationException($"marker '{marker}' must occur exactly once in the consumer source");
            }

            int line = 1 + source.Take(index).Count(c => c == '\n');
            int column = index - source.LastIndexOf('\n', Math.Max(index - 1, 0));
            return $"{Path.GetFullPath(file)}({line},{column}): warning {id}";
        }

        private static readonly Regex WarningLine = new Regex(
            @"^\s*(?:\d+>)?(?<file>[^\s].*?)\((?<line>\d+),(?<column>\d+)(?:,\d+,\d+)?\): warning (?<id>DRV\d{4}):",
            RegexOptions.Multiline | RegexOptions.CultureInvariant);

        /// <summary>Every distinct DRV warning in an MSBuild log (the console logger repeats them in its summary).</summary>
        private static List<string> DriverSafetyWarnings(string output) => WarningLine.Matches(output)
            .Select(m => $"{Path.GetFullPath(m.Groups["file"].Value.Trim())}({m.Groups["line"].Value},{m.Groups["column"].Value}): warning {m.Groups["id"].Value}")
            .Distinct(StringComparer.Ordinal)
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();

        /// <summary>Packs the repository once for the class, into a fresh temporary folder.</summary>
        public sealed class PackedPackage : IDisposable
        {
            private readonly Lazy<PackResult> _pack;

            public PackedPackage()
            {
                RepositoryRoot = Repository.Root;
                Version = ReadVersion(RepositoryRoot);
                WorkDirectory = Path.Combine(Path.GetTempPath(), "driversafety-packaging-" + Guid.NewGuid().ToString("N"));
                Directory.CreateDirectory(WorkDirectory);
                Dotnet = FindDotnet();
                _pack = new Lazy<PackResult>(RunPack, LazyThreadSafetyMode.ExecutionAndPublication);
            }

            public string RepositoryRoot { get; }

            public string Version { get; }

            public string WorkDirectory { get; }

            public string Dotnet { get; }

            public PackResult Pack() => _pack.Value;

            public void Dispose()
            {
                try
                {
                    Directory.Delete(WorkDirectory, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            }

            private PackResult RunPack()
            {
                string output = Path.Combine(WorkDirectory, "feed");
                Directory.CreateDirectory(output);
                var run = ChildProcess.Run(Dotnet, RepositoryRoot,
                    "pack", "nuget", "-o", output, "-nodeReuse:false", "/p:UseSharedCompilation=false", "-tl:off");
                return new PackResult(run, Path.Combine(output, $"{PackageId}.{Version}.nupkg"));
            }

            private static string ReadVersion(string root)
            {
                var props = XDocument.Load(Path.Combine(root, "Directory.Build.props"));
                string? version = props.Descendants().FirstOrDefault(e => e.Name.LocalName == "Version")?.Value.Trim();
                return string.IsNullOrEmpty(version) ? throw new InvalidOperationException("no <Version> in Directory.Build.props") : version!;
            }

            private static string FindDotnet()
            {
                // The SDK tells child processes which host runs it; otherwise take the one on PATH.
                string? host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
                return !string.IsNullOrEmpty(host) && File.Exists(host) ? host! : "dotnet";
            }
        }

        public sealed class PackResult
        {
            public PackResult(ChildProcess.Result run, string packageFile)
            {
                Run = run;
                PackageFile = packageFile;
            }

            public ChildProcess.Result Run { get; }

            public string PackageFile { get; }

            public string AssertPackageWritten()
            {
                Assert.True(Run.ExitCode == 0, "dotnet pack nuget failed:\n" + Run.Describe());
                Assert.True(File.Exists(PackageFile), $"dotnet pack nuget did not write {PackageFile}:\n" + Run.Describe());
                return PackageFile;
            }
        }

        /// <summary>Runs the dotnet CLI as a child process with a timeout, capturing its output.</summary>
        public static class ChildProcess
        {
            private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(5);

            public sealed class Result
            {
                public Result(string commandLine, int exitCode, string stdout, string stderr, bool timedOut)
                {
                    CommandLine = commandLine;
                    ExitCode = exitCode;
                    Stdout = stdout;
                    Stderr = stderr;
                    TimedOut = timedOut;
                }

                public string CommandLine { get; }

                public int ExitCode { get; }

                public string Stdout { get; }

                public string Stderr { get; }

                public bool TimedOut { get; }

                public string Output => Stdout + "\n" + Stderr;

                public string Describe() =>
                    $"$ {CommandLine}\nexit code: {ExitCode}{(TimedOut ? $" (killed after {Timeout.TotalMinutes} minutes)" : "")}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
            }

            public static Result Run(string fileName, string workingDirectory, params string[] arguments)
            {
                var info = new ProcessStartInfo(fileName)
                {
                    WorkingDirectory = workingDirectory,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                    CreateNoWindow = true,
                };
                foreach (var argument in arguments)
                {
                    info.ArgumentList.Add(argument);
                }

                // The test host may run inside an MSBuild/VSTest process tree: do not hand its MSBuild state to the child.
                foreach (var name in info.Environment.Keys.ToList())
                {
                    if (name.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase))
                    {
                        info.Environment.Remove(name);
                    }
                }

                info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
                info.Environment["DOTNET_NOLOGO"] = "1";
                info.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
                info.Environment["MSBUILDDISABLENODEREUSE"] = "1";

                string commandLine = fileName + " " + string.Join(" ", arguments);
                var stdout = new StringBuilder();
                var stderr = new StringBuilder();
                using var process = new Process { StartInfo = info };
                process.OutputDataReceived += (_, e) => { if (e.Data != null) { lock (stdout) { stdout.AppendLine(e.Data); } } };
                process.ErrorDataReceived += (_, e) => { if (e.Data != null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
                process.Start();
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();

                bool timedOut = !process.WaitForExit((int)Timeout.TotalMilliseconds);
                if (timedOut)
                {
                    try
                    {
                        process.Kill(entireProcessTree: true);
                    }
                    catch (InvalidOperationException)
                    {
                    }

                    process.WaitForExit();
                }
                else
                {
                    process.WaitForExit(); // drains the asynchronous output readers
                }

                lock (stdout)
                {
                    lock (stderr)
                    {
                        return new Result(commandLine, timedOut ? -1 : process.ExitCode, stdout.ToString(), stderr.ToString(), timedOut);
                    }
                }
            }
        }
    }
}
