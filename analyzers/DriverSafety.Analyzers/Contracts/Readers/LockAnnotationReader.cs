using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using DriverSafety.Analyzers.Contracts.Annotations;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts.Readers
{
    /// <summary>
    /// The lock family's annotations (SPEC §3.1): <c>[Acquires]</c>, <c>[Releases]</c>, <c>[TryAcquires]</c>, <c>[Requires]</c>,
    /// <c>[Excludes]</c>, <c>[AssertsHeld]</c>, <c>[GuardedBy]</c>, and the checks of <c>Subclass</c>, <c>[NoAnalysis]</c> and
    /// <c>[InvokedBeforeReturn]</c>.
    /// </summary>
    internal sealed class LockAnnotationReader : AnnotationReader
    {
        public LockAnnotationReader(KnownSymbols known, LockExpressionResolver resolver)
            : base(known, resolver)
        {
        }

        public override bool Reads(Annotation attribute) =>
            KnownSymbols.Is(attribute, Known.Acquires) || KnownSymbols.Is(attribute, Known.Releases) || KnownSymbols.Is(attribute, Known.Requires) ||
            KnownSymbols.Is(attribute, Known.Excludes) || KnownSymbols.Is(attribute, Known.AssertsHeld) || KnownSymbols.Is(attribute, Known.GuardedBy) ||
            KnownSymbols.Is(attribute, Known.TryAcquires) || KnownSymbols.Is(attribute, Known.NoAnalysis);

        public override void Read(Annotation attribute, ISymbol symbol, OwnAnnotations into, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            CheckLockVocabulary(attribute, symbol, problems);
            if (KnownSymbols.Is(attribute, Known.Acquires))
            {
                into.Acquires = into.Acquires.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: true));
            }
            else if (KnownSymbols.Is(attribute, Known.Releases))
            {
                into.Releases = into.Releases.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: true));
            }
            else if (KnownSymbols.Is(attribute, Known.Requires))
            {
                into.Requires = into.Requires.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: true));
            }
            else if (KnownSymbols.Is(attribute, Known.Excludes))
            {
                var excludes = Clauses(attribute, symbol, 0, problems, defaultThis: true).ToList();
                into.Excludes = into.Excludes.AddRange(excludes);
                CheckRequiredAndExcluded(attribute, symbol, excludes, problems);
            }
            else if (KnownSymbols.Is(attribute, Known.AssertsHeld))
            {
                into.AssertsHeld = into.AssertsHeld.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: true));
            }
            else if (KnownSymbols.Is(attribute, Known.GuardedBy))
            {
                var writesOnly = NamedBool(attribute, "WritesOnly");
                into.GuardedBy = into.GuardedBy.AddRange(Clauses(attribute, symbol, 0, problems, defaultThis: false).Select(c => new GuardClause(c.Lock, writesOnly)));
            }
            else if (KnownSymbols.Is(attribute, Known.TryAcquires) && ParseTry(attribute, symbol, problems) is { } tryClause)
            {
                into.TryAcquires = into.TryAcquires.Add(tryClause);
            }
        }

        public override void ReadParameters(IMethodSymbol method, ImmutableArray<AnnotationProblem>.Builder problems) => CheckParameterAnnotations(method, problems);

        /// <summary>
        /// The vocabulary whose semantics arrive with later families still gets its names checked now: <c>Subclass</c> is a
        /// non-negative lockdep subclass, <c>[InvokedBeforeReturn]</c> marks a delegate parameter, <c>[NoAnalysis]</c> has a body to skip.
        /// </summary>
        private void CheckLockVocabulary(Annotation attribute, ISymbol symbol, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (KnownSymbols.Is(attribute, Known.Acquires) && NamedArgument(attribute, "Subclass") is int subclass && subclass < 0)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[Acquires(Subclass = {subclass})] on '{symbol.Name}': a lockdep subclass is 0 or more");
            }

            if (KnownSymbols.Is(attribute, Known.NoAnalysis) && symbol is IMethodSymbol { IsAbstract: true } or IPropertySymbol { IsAbstract: true })
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[NoAnalysis] on abstract member '{symbol.Name}': it has no body to leave unanalysed");
            }
        }

        /// <summary>A lock both required and excluded by one member: no caller can satisfy both (reported at the [Excludes]).</summary>
        private void CheckRequiredAndExcluded(Annotation excludes, ISymbol symbol, List<LockClause> excluded, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (excluded.Count == 0)
            {
                return;
            }

            var ignored = ImmutableArray.CreateBuilder<AnnotationProblem>();
            foreach (var requires in Known.AttributesOf(symbol).Where(a => KnownSymbols.Is(a, Known.Requires)))
            {
                foreach (var required in Clauses(requires, symbol, 0, ignored, defaultThis: true))
                {
                    if (excluded.FirstOrDefault(e => SameLock(e.Lock, required.Lock)) is { } both)
                    {
                        Report(problems, Descriptors.AnnotationMisapplied, excludes,
                            $"[Excludes] on '{symbol.Name}': lock '{both.Lock}' is also [Requires]d; a caller cannot both hold it and not hold it");
                        return;
                    }
                }
            }
        }

        private static bool SameLock(LockExpr a, LockExpr b) =>
            a.Kind == b.Kind && a.ParameterOrdinal == b.ParameterOrdinal && SymbolEqualityComparer.Default.Equals(a.StaticType, b.StaticType) &&
            a.Members.SequenceEqual(b.Members, SymbolEqualityComparer.Default);

        private void CheckParameterAnnotations(IMethodSymbol method, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            {
                foreach (var parameter in method.Parameters)
                {
                    foreach (var parameterAttribute in Known.AttributesOf(parameter))
                    {
                        if (KnownSymbols.Is(parameterAttribute, Known.InvokedBeforeReturn) && parameter.Type.TypeKind != TypeKind.Delegate)
                        {
                            Report(problems, Descriptors.AnnotationMisapplied, parameterAttribute,
                                $"[InvokedBeforeReturn] on parameter '{parameter.Name}' of '{method.Name}': its type '{parameter.Type.ToDisplayString()}' is not a delegate type");
                        }
                    }
                }
            }
        }

        private TryClause? ParseTry(Annotation attribute, ISymbol symbol, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (attribute.ConstructorArguments.Length != 2 || symbol is not IMethodSymbol method)
            {
                return null;
            }

            var success = attribute.ConstructorArguments[0].Value;
            var returnType = method.ReturnType;
            var fits = success switch
            {
                bool => returnType.SpecialType == SpecialType.System_Boolean,
                int => returnType.SpecialType is SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Int16 or SpecialType.System_SByte,
                _ => false,
            };
            if (!fits)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute,
                    $"[TryAcquires({ConditionValue.FromConstant(success)})] on '{method.Name}', which returns '{returnType.ToDisplayString()}': the success value must have the method's return type (bool or int)");
                return null;
            }

            var locks = Clauses(attribute, symbol, 1, problems, defaultThis: true).Select(c => c.Lock).ToImmutableArray();
            var blocking = NamedBool(attribute, "Blocking") || method.Parameters.Any(p => Known.AttributesOf(p).Any(a => KnownSymbols.Is(a, Known.AcquireContext)));
            return locks.IsEmpty ? null : new TryClause(locks, NamedBool(attribute, "Shared"), ConditionValue.FromConstant(success)!.Value, blocking);
        }

        private IEnumerable<LockClause> Clauses(Annotation attribute, ISymbol symbol, int argumentIndex, ImmutableArray<AnnotationProblem>.Builder problems, bool defaultThis)
        {
            var shared = NamedBool(attribute, "Shared");
            var irqs = NamedBool(attribute, "DisablesIrqs");
            var subclass = NamedArgument(attribute, "Subclass") is int n ? n : 0;
            var name = attribute.AttributeClass!.Name.Replace("Attribute", string.Empty);
            if (attribute.ConstructorArguments.Length <= argumentIndex)
            {
                yield break;
            }

            var argument = attribute.ConstructorArguments[argumentIndex];
            if (argument.Kind != TypedConstantKind.Array)
            {
                yield break;
            }

            if (argument.IsNull)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(null)] on '{symbol.Name}': the list of lock expressions is null; name the locks, or pass none for 'this'");
                yield break;
            }

            if (argument.Values.IsEmpty)
            {
                if (!defaultThis)
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}] on '{symbol.Name}' names no lock");
                    yield break;
                }

                if (symbol is INamedTypeSymbol { TypeKind: TypeKind.Delegate })
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}] on delegate type '{symbol.Name}' names no lock: name the locks by the delegate's parameters or static members");
                    yield break;
                }

                if (symbol.IsStatic)
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}] without arguments means 'this', which names nothing in static member '{symbol.Name}'");
                    yield break;
                }

                if (!Resolver.CanBeLock(symbol.ContainingType))
                {
                    Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}] without arguments means 'this', but '{symbol.ContainingType?.Name}' is not a lock");
                    yield break;
                }

                yield return new LockClause(LockExpr.ThisLock, shared, irqs, subclass);
                yield break;
            }

            foreach (var value in argument.Values)
            {
                var resolved = Resolver.Resolve(value.Value as string, symbol, requireLock: true, allowReturn: false, out var problem, out var detail, attribute.ApplicationSyntaxReference);
                if (resolved is null)
                {
                    Report(problems, problem == ProblemKind.Misapplied ? Descriptors.AnnotationMisapplied : Descriptors.AnnotationDoesNotResolve, attribute,
                        $"[{name}] on '{symbol.Name}': {detail}");
                    continue;
                }

                yield return new LockClause(resolved, shared, irqs, subclass);
            }
        }
    }
}
