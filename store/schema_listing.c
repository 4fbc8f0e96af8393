/* schema_listing.c — the tables, their columns, and the indexes of the current schema
 * (WL_SCHEMA_LISTING_VERSION), as wl_schema_expected_build lists what the migrations create:
 * what every open compares the file with (wl_schema_verify), written down so that no open runs
 * the migrations in memory to learn it. test_store_migrate builds the listing from the
 * migrations and fails, printing the new text, when this one differs: bump
 * WL_SCHEMA_LISTING_VERSION (store_int.h) with the schema and paste it here. */
#include "store/store_int.h"

const char wl_schema_listing[] =
    "table app_hourly app,dir,hour,allowed,blocked\n"
    "table apps id,path,dos_path,first_seen,last_seen,allowed,blocked,endpoints,truncated\n"
    "table blocks seq,ts_min,ts_max,n,data\n"
    "index blocks_ts \n"
    "table ctx id,bits,filter_id,layer,local_addr,reauth,user,package\n"
    "table drops_hourly hour,filter_id,count\n"
    "table filters_seen filter_id,name,provider,sublayer,action,ours,filter_key,provider_key\n"
    "table flow_pack chunk,last_id,last_first,data\n"
    "table held app,state,proto,ip_version,remote_addr,remote_port,local_port,first_seen,"
    "last_seen,reads\n"
    "index held_last \n"
    "table hits_hourly filter_key,filter_id,hour,count,last_ts\n"
    "table import_keys key\n"
    "table meta key,value\n"
    "table pending seq,born_lo,born_hi\n"
    "table rules id,app,app_nt,dir,proto,scope,ports,remotes,user,package,filters,evidence,"
    "origin,created,signer,prev_app,prev_app_nt,expires\n"
    "table sids id,sid\n";
