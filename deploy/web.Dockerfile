# The web (dashboard, REST API, agent hub). Build from the repository root:
#   docker build -f deploy/web.Dockerfile -t ringmaster-web .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Web -c Release -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out .
ENV ASPNETCORE_URLS=http://0.0.0.0:5080 RINGMASTER_DATA=/var/lib/ringmaster
VOLUME /var/lib/ringmaster
EXPOSE 5080
ENTRYPOINT ["dotnet", "Ringmaster.Web.dll"]
