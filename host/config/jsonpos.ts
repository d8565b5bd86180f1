// The one JSON reader every JSON input uses (the dialects' JSON forms, the
// appliance description). It lives in the model layer (host/model/jsonpos.ts),
// as the address parsers do, so that the appliance description (a model
// type) can be read with it; config code imports it from here.
export * from "../model/jsonpos.ts";
