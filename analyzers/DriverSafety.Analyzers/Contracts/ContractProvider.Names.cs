using System;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace DriverSafety.Analyzers.Contracts
{
    /// <summary>
    /// DRV9001/DRV9002 for the names written in the ordering and lifetime annotations (SPEC section 4: a string that
    /// does not resolve is itself a diagnostic, never silently ignored): lock classes, targets, <c>While</c> locks,
    /// handles, <c>CheckedBy</c> methods, <c>Match</c> parameters, resource and state names.
    /// </summary>
    internal sealed partial class ContractProvider
    {
        /// <summary>
        /// The vocabulary whose semantics arrive with later families still gets its names checked now: <c>Subclass</c> is a
        /// non-negative lockdep subclass, <c>[InvokedBeforeReturn]</c> marks a delegate parameter, <c>[NoAnalysis]</c> has a body to skip.
        /// </summary>
        private void CheckLockVocabulary(AttributeData attribute, ISymbol symbol, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (KnownSymbols.Is(attribute, _known.Acquires) && NamedArgument(attribute, "Subclass") is int subclass && subclass < 0)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[Acquires(Subclass = {subclass})] on '{symbol.Name}': a lockdep subclass is 0 or more");
            }

            if (KnownSymbols.Is(attribute, _known.NoAnalysis) && symbol is IMethodSymbol { IsAbstract: true } or IPropertySymbol { IsAbstract: true })
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[NoAnalysis] on abstract member '{symbol.Name}': it has no body to leave unanalysed");
            }
        }

        private void CheckParameterAnnotations(IMethodSymbol method, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            {
                foreach (var parameter in method.Parameters)
                {
                    foreach (var parameterAttribute in parameter.GetAttributes())
                    {
                        if (KnownSymbols.Is(parameterAttribute, _known.InvokedBeforeReturn) && parameter.Type.TypeKind != TypeKind.Delegate)
                        {
                            Report(problems, Descriptors.AnnotationMisapplied, parameterAttribute,
                                $"[InvokedBeforeReturn] on parameter '{parameter.Name}' of '{method.Name}': its type '{parameter.Type.ToDisplayString()}' is not a delegate type");
                        }
                    }
                }
            }
        }

        private void CheckNamesOfOtherAnnotations(AttributeData attribute, ISymbol symbol, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            var name = attribute.AttributeClass!.Name.Replace("Attribute", string.Empty);
            if (KnownSymbols.Is(attribute, _known.AcquiredBefore) || KnownSymbols.Is(attribute, _known.AcquiredAfter))
            {
                CheckLockClasses(attribute, symbol, name, problems);
                return;
            }

            var isBegins = KnownSymbols.Is(attribute, _known.Begins);
            var isEnds = KnownSymbols.Is(attribute, _known.Ends);
            var isEnsures = KnownSymbols.Is(attribute, _known.EnsuresState) || KnownSymbols.Is(attribute, _known.EnsuresNotState);
            var isRequires = KnownSymbols.Is(attribute, _known.RequiresState) || KnownSymbols.Is(attribute, _known.RequiresNotState);
            var isTest = KnownSymbols.Is(attribute, _known.StateTest);
            if (!(isBegins || isEnds || isEnsures || isRequires || isTest) || attribute.ConstructorArguments.Length != 1)
            {
                return;
            }

            var subject = attribute.ConstructorArguments[0].Value as string;
            if (string.IsNullOrWhiteSpace(subject))
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}] on '{symbol.Name}' names no {(isBegins || isEnds ? "resource" : "state")}");
                return;
            }

            var target = Named(attribute, "Target") ?? "this";
            if (Resolver.Resolve(target, symbol, requireLock: false, allowReturn: isBegins || isEnsures, out var problem, out var detail, attribute.ApplicationSyntaxReference) is null)
            {
                Report(problems, Kind(problem), attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': target {detail.Replace("lock expression", string.Empty).Trim()}");
            }

            if (symbol is not IMethodSymbol method)
            {
                return;
            }

            if (isBegins && Named(attribute, "While") is { } whileLock && Resolver.Resolve(whileLock, symbol, requireLock: true, allowReturn: false, out problem, out detail, attribute.ApplicationSyntaxReference) is null)
            {
                Report(problems, Kind(problem), attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': While: {detail}");
            }

            if (isBegins && Named(attribute, "Handle") is { } handle)
            {
                CheckHandle(attribute, method, name, subject!, handle, problems);
            }

            if (isBegins && Named(attribute, "CheckedBy") is { } checkedBy && !MethodExists(method, checkedBy, attribute.ApplicationSyntaxReference))
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': CheckedBy '{checkedBy}' names no method of '{method.ContainingType?.Name}' or 'Type.Method'");
            }

            if (isEnds && Named(attribute, "Match") is { } match)
            {
                foreach (var parameter in match.Split(',').Select(p => p.Trim()))
                {
                    if (!method.Parameters.Any(p => p.Name == parameter))
                    {
                        Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{symbol.Name}': Match names '{parameter}', which is not a parameter of '{method.Name}'");
                    }
                }
            }
        }

        private void CheckLockClasses(AttributeData attribute, ISymbol symbol, string name, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (attribute.ConstructorArguments.Length != 1 || attribute.ConstructorArguments[0].Kind != TypedConstantKind.Array)
            {
                return;
            }

            var argument = attribute.ConstructorArguments[0];
            if (argument.IsNull || argument.Values.IsEmpty)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}] on '{symbol.Name}' names no lock class");
                return;
            }

            foreach (var value in argument.Values)
            {
                if (Resolver.ResolveLockClass(value.Value as string, symbol, out var problem, out var detail, attribute.ApplicationSyntaxReference) is null)
                {
                    Report(problems, Kind(problem), attribute, $"[{name}] on '{symbol.Name}': {detail}");
                }
            }
        }

        private void CheckHandle(AttributeData attribute, IMethodSymbol method, string name, string subject, string handle, ImmutableArray<AnnotationProblem>.Builder problems)
        {
            if (handle == "return")
            {
                if (method.ReturnsVoid)
                {
                    Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{method.Name}': Handle 'return' names nothing: the method returns void");
                }

                return;
            }

            var parameter = method.Parameters.FirstOrDefault(p => p.Name == handle);
            if (parameter is null)
            {
                Report(problems, Descriptors.AnnotationDoesNotResolve, attribute, $"[{name}(\"{subject}\")] on '{method.Name}': Handle '{handle}' is neither 'return' nor a parameter");
            }
            else if (parameter.RefKind != RefKind.Out)
            {
                Report(problems, Descriptors.AnnotationMisapplied, attribute, $"[{name}(\"{subject}\")] on '{method.Name}': Handle '{handle}' must be an out parameter (or 'return')");
            }
        }

        private bool MethodExists(IMethodSymbol method, string name, SyntaxReference? at)
        {
            var dot = name.LastIndexOf('.');
            if (dot < 0)
            {
                for (var type = method.ContainingType; type is not null; type = type.BaseType)
                {
                    if (type.GetMembers(name).OfType<IMethodSymbol>().Any())
                    {
                        return true;
                    }
                }

                return false;
            }

            var typeName = name.Substring(0, dot);
            var owner = Resolver.ResolveType(typeName, method, at);
            return owner?.GetMembers(name.Substring(dot + 1)).OfType<IMethodSymbol>().Any() == true;
        }

        private static DiagnosticDescriptor Kind(ProblemKind problem) =>
            problem == ProblemKind.Misapplied ? Descriptors.AnnotationMisapplied : Descriptors.AnnotationDoesNotResolve;
    }
}
